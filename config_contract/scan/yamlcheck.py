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
import functools
import re
from collections.abc import Callable

import yaml

_COMMENT = re.compile(r"(\s+#[\S ]*)")  # detect-secrets' own YAML comment regex


def pair_line(key: str, value: str) -> str:
    """``KEY: "VALUE"`` with the value's double quotes escaped: the line detect-secrets' YAML
    transformer writes for a mapping entry (``detect_secrets/transformers/yaml.py``)."""
    return f'{key}: "{value.replace(chr(34), chr(92) + chr(34))}"'


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
                    out.append(pair_line(key.value, text))
                else:
                    stack.append(value)
                stack.append(key)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return out


_KEY = r"[A-Za-z0-9_][A-Za-z0-9_./-]*"
_QUOTED = r"\"[^\"\\\n]*\"|'[^'\n]*'"
#: A plain scalar on one line: not starting with an indicator (YAML 1.1 §9.1.3), no ``: `` or
#: trailing ``:`` (a nested mapping), no tab.
_PLAIN = r"(?![-?:,\[\]{}#&*!|>'\"%@`])(?:[^:\n\t]|:(?=[^\s]))*(?<!:)"
_FLOW_ITEM = r"(?:%s|(?![-?:,\[\]{}#&*!|>'\"%%@`])[^:,\[\]{}\n\t'\"]*?)" % _QUOTED
#: One line of "simple" block YAML: indentation, ``- `` sequence marks, then ``KEY:`` with an
#: optional value (a plain or quoted scalar on that line, or a flow sequence of such scalars
#: without ``:``), or a sequence entry that is such a scalar.
_SIMPLE_LINE = re.compile(
    r"(?P<indent>[ ]*(?:-[ ]+)*)"
    r"(?:(?P<key>%s):(?:[ ]+(?P<value>%s|(?P<plain>%s)|(?P<flow>\[[ ]*(?:%s(?:[ ]*,[ ]*%s)*)?[ ]*,?[ ]*\])))?"
    r"|(?P<item>%s|%s))[ ]*" % (_KEY, _QUOTED, _PLAIN, _FLOW_ITEM, _FLOW_ITEM, _QUOTED, _PLAIN))


def simple_pairs(text: str) -> list[str] | None:
    """The ``KEY: "VALUE"`` lines of :func:`_pairs` for "simple" YAML, read line by line
    without a YAML parser; ``None`` when ``text`` is not simple (then libyaml decides).

    Simple: every line is blank or one :data:`_SIMPLE_LINE` (block mappings and sequences with
    one-line plain or quoted scalars without escapes, flow sequences of such scalars), with no
    ``#``, tab, document marker, directive, anchor, alias, tag, block scalar, flow mapping,
    bare scalar line (``key:`` with its value on the next line) or multi-line scalar (a line
    indented below a key that already has a value). Every scalar
    value written after a key gives a line, whatever it resolves to (a number or boolean gives
    one that detect-secrets would not write: more lines only make the check err towards the
    exact path)."""
    if "#" in text:  # a comment (the line grammar would take it into a plain scalar)
        return None
    out: list[str] = []
    previous_column, previous_valued = -1, False
    for line in text.split("\n"):
        if not line or line.isspace():
            continue
        shape = _line_shape(line)
        if shape is None:
            return None
        column, valued, pair = shape
        if previous_valued and column > previous_column:
            return None  # could continue the previous plain scalar
        previous_column, previous_valued = column, valued
        if pair is not None:
            out.append(pair)
    return out


@functools.lru_cache(maxsize=65536)
def _line_shape(line: str) -> tuple[int, bool, str | None] | None:
    """One line of :func:`simple_pairs`: ``(column, has a value, its KEY: "VALUE" line or
    None)``, or ``None`` when the line is not simple. A pure function of the line, remembered
    (manifests repeat their lines: 19,008 distinct of the benchmark's 106,779 YAML lines)."""
    match = _SIMPLE_LINE.fullmatch(line)
    if match is None:
        return None
    indent, item, key, value, flow, plain = match.group("indent", "item", "key", "value", "flow", "plain")
    if item is not None and "-" not in indent:
        return None  # a bare scalar line: the value of a key above, or a whole document
    if key is None or value is None or flow is not None:
        return len(indent), value is not None or item is not None, None
    return len(indent), True, pair_line(key, value[1:-1] if plain is None else value.rstrip())


def transform_simple(text: str) -> list[str] | None:
    """detect-secrets' YAML transform of ``text`` (``YAMLTransformer.parse_file``: for each
    mapping entry with a ``str`` value, ``KEY: "VALUE"`` at the entry's line, ``''`` on the
    other lines) for *simple* YAML (:func:`simple_pairs`), computed with libyaml instead of
    PyYAML's pure-Python loader (an eighth of the CPU on the benchmark's 52 such files: 0.019 s
    against 0.15 s); ``None`` when that answer is not certain, and the caller runs
    detect-secrets' transformer.

    In simple YAML every entry with a value sits on its key's line, where detect-secrets' line
    shim finds it; the document is composed and constructed by ``yaml.CSafeLoader`` (same
    resolver and constructors as the pure loader, so ``replicas: 4`` is no entry, ``on: x``
    has a ``True`` key, and a repeated key keeps only its last entry, as in the ``dict``
    detect-secrets walks). ``None`` for text that is not simple, that libyaml rejects, whose
    construction fails (``0b_``, ``2001-13-45``: detect-secrets' transform fails too), with a
    tag other than str/int/float/bool/null, or holding ``__line__`` (detect-secrets' own
    marker, on which its walk breaks). ``tests/scan/test_yaml_transform.py`` compares the
    result with detect-secrets' transformer on generated and recombined documents."""
    if "__line__" in text or simple_pairs(text) is None or not getattr(yaml, "__with_libyaml__", False):
        return None
    loader = yaml.CSafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return []
        loader.construct_document(root)  # raises where the pure loader's construction raises
        entries: list[tuple[int, str, str]] = []
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
            elif isinstance(node, yaml.MappingNode):
                latest: dict = {}  # constructed key -> its last (key, value): dict semantics
                for key, value in node.value:
                    if not isinstance(key, yaml.ScalarNode) or key.tag not in _SIMPLE_TAGS:
                        return None
                    latest[loader.construct_object(key)] = (key, value)
                for key, value in latest.values():
                    if value.tag == _STR:
                        entries.append((key.start_mark.line + 1, key.value, value.value))
                    elif isinstance(value, yaml.ScalarNode) and value.tag not in _SIMPLE_TAGS:
                        return None
                    else:
                        stack.append(value)
    except Exception:  # noqa: BLE001 - anything unusual: detect-secrets' own transformer decides
        return None
    finally:
        loader.dispose()
    lines: list[str] = []
    for number, key, value in sorted(entries):
        lines += [""] * (number - 1 - len(lines))
        lines.append(pair_line(key, value))
    return lines


_STR = "tag:yaml.org,2002:str"
#: Scalar tags of simple YAML whose construction is plain (anything else: detect-secrets decides).
_SIMPLE_TAGS = frozenset({_STR} | {f"tag:yaml.org,2002:{name}" for name in ("int", "float", "bool", "null")})


def yaml_is_clean(text: str, gates, any_secret: Callable[[list[str]], bool]) -> bool:
    """True when detect-secrets cannot report anything in YAML ``text`` (see the module
    docstring); False means "run the exact path". ``gates``: the scan's
    :class:`~.prefilter.Prefilter`; ``any_secret(lines)``: whether a configured plugin reports
    something on these lines, with its secret filters (``literals.any_secret`` for the file).
    Call inside ``scan_settings``."""
    if gates.every_line:
        return False
    raw_lines = text.splitlines()
    comments = []
    if "#" in text:
        for line in raw_lines:
            if "#" in line:
                match = _COMMENT.search(line.strip())
                if match:
                    comments.append(match.group(0))
    if comments and gates.candidates(comments):
        return False
    if any_secret(raw_lines):
        return False
    # If detect-secrets' own parse or construction fails, it scans the raw lines: covered above.
    # So only the composed node graph is needed here (no construction); simple YAML is read
    # line by line instead (:func:`simple_pairs`).
    pairs = simple_pairs(text)
    if pairs is not None:
        return not any_secret(pairs)
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
    return not any_secret(pairs)
