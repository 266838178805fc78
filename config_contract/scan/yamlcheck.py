"""A fast proof that detect-secrets' YAML transform of a file cannot yield a secret.

detect-secrets scans a YAML file through its ``YAMLTransformer``: the file is parsed with
PyYAML's pure-Python loader (with shims for line numbers) and every string (or binary) value of
a mapping becomes a line ``KEY: "VALUE"`` plus the raw line's comment; when the parse fails or
yields nothing, the raw lines are scanned instead. That parse is most of the cost of scanning
YAML, so for a YAML file the scan first tries to show, cheaply, that neither form can produce
a finding; only when it cannot does it run detect-secrets' transformer (the exact path).

The proof (:func:`yaml_is_clean`) holds when all of these hold:

1. no raw comment contains a prefilter candidate (so appending a comment to a transformed line
   cannot supply the text a plugin needs: no necessary literal contains ``"`` and the entropy
   runs cannot cross the ``" #`` boundary);
2. the plugins that the prefilter selects find nothing on the raw lines (what detect-secrets
   scans when the transform fails or is empty);
3. the file composes as one document with libyaml (``yaml.CSafeLoader``, same resolver and
   tags as the pure-Python loader), and the plugins find nothing on the ``KEY: "VALUE"``
   strings of all its mapping entries with ``str`` or ``binary`` values. (Where detect-secrets'
   own parse or construction would fail, it scans the raw lines, which 2. covers.)

Plugins run with their secret filters but without line filters (allowlist pragmas, indirect
references), which can only remove results, so the check errs towards the exact path.
"""

from __future__ import annotations

import base64
import re

import yaml

_COMMENT = re.compile(r"(\s+#[\S ]*)")  # detect-secrets' own YAML comment regex


def _pairs(root) -> list[str] | None:
    """``KEY: "VALUE"`` for every mapping entry with a str/binary value, as detect-secrets
    writes them; ``None`` when a key is not a scalar or a binary value does not decode."""
    out: list[str] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if value.tag.endswith(":str") or value.tag.endswith(":binary"):
                    if not isinstance(key, yaml.ScalarNode):
                        return None
                    text = value.value
                    if value.tag.endswith(":binary"):
                        try:
                            text = base64.b64encode(base64.decodebytes(text.encode("ascii"))).decode()
                        except (ValueError, UnicodeEncodeError):
                            return None
                    out.append(f'{key.value}: "{text.replace(chr(34), chr(92) + chr(34))}"')
                else:
                    stack.append(value)
                stack.append(key)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return out


def _any_secret(lines: list[str], gates, filename: str) -> bool:
    from detect_secrets.settings import get_plugins

    from .literals import _analyze

    plugins = get_plugins()
    for number, indices in gates.candidates(lines).items():
        line = lines[number - 1].rstrip()
        for index in indices:
            for _ in _analyze(plugins[index], filename, line, number):
                return True
    return False


def yaml_is_clean(text: str, filename: str, gates) -> bool:
    """True when detect-secrets cannot report anything in YAML ``text`` (see the module
    docstring); False means "run the exact path". Call inside ``scan_settings``."""
    if gates.every_line:
        return False
    raw_lines = text.splitlines()
    comments = []
    for line in raw_lines:
        if "#" in line:
            match = _COMMENT.search(line.strip())
            if match:
                comments.append(match.group(0))
    if comments and gates.candidates(comments):
        return False
    if _any_secret(raw_lines, gates, filename):
        return False
    # If detect-secrets' own parse or construction fails, it scans the raw lines: covered above.
    # So only the composed node graph is needed here (no construction).
    loader = yaml.CSafeLoader(text) if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except Exception:  # noqa: BLE001 - anything unusual: take the exact path
        return False
    finally:
        loader.dispose()
    if node is None:
        return True
    pairs = _pairs(node)
    if pairs is None:
        return False
    return not _any_secret(pairs, gates, filename)
