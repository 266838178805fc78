"""Configuration sources: each produces a plain ``dict[str, str]`` plus provenance, nothing else.

Sources (merged by :func:`load_sources` in one visible precedence, later wins):

1. dotenv files, in the order given (later file wins, as Docker Compose does with several
   ``--env-file``); parsed by python-dotenv's parser (no interpolation: ``${VAR}`` stays a
   reference), each binding's 1-based line number kept;
2. a Pulumi stack config file ``Pulumi.<stack>.yaml``: keys ``somastack:NAME`` whose NAME is an
   UPPER_CASE environment variable name are contract variables; lower-camel keys
   (``somastack:certificateArn``) are stack settings and other namespaces (``aws:region``) are
   ignored; a ``{secure: …}`` value is a Pulumi secret, recorded as a reference
   (:data:`PULUMI_SECURE`), never as a literal;
3. the process environment (``from_env=True``), restricted to contract names (catalogued or with
   a contract prefix) so that a CI runner's unrelated tokens are not linted.

Unusable input raises :class:`somastack_deploy.config_contract.errors.InputError` (exit 2) whose one-line
message names file, line and variable and never the value.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from typing import Mapping

from .errors import InputError
from .grammar.references import PULUMI_SECURE_PREFIX

#: Value standing in for a Pulumi ``{secure: …}`` config value (a reference, not a literal).
PULUMI_SECURE = PULUMI_SECURE_PREFIX  # the reference grammar's spelling (grammar.references)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_NEWLINE = re.compile(r"\r\n|\n|\r")


@dataclass(frozen=True)
class Origin:
    """Where a value came from: ``path`` (file, or ``"<environment>"``) and 1-based ``line``
    (``None`` for the environment)."""

    path: str
    line: int | None = None


Provenance = dict[str, Origin]


def read_dotenv(path: str) -> tuple[dict[str, str], Provenance]:
    """Parse one dotenv file.

    Returns (name → raw value, name → :class:`Origin`). Within a file a later binding wins.
    Raises :class:`InputError` when the file is missing/unreadable/not UTF-8, a line is not
    ``KEY=VALUE``, or a name is not a valid variable name.
    """
    from dotenv.parser import parse_stream

    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not an env file", path=path) from None
    except OSError as err:
        raise InputError(f"cannot read file ({err.strerror})", path=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InputError("not UTF-8 text", path=path, line=line) from None
    if "\x00" in text:
        raise InputError("contains a NUL byte", path=path, line=text[: text.index("\x00")].count("\n") + 1)
    values: dict[str, str] = {}
    prov: Provenance = {}
    for binding in parse_stream(io.StringIO(text)):
        text_of = binding.original.string
        lead = text_of[: len(text_of) - len(text_of.lstrip())]
        line = binding.original.line + len(_NEWLINE.findall(lead))  # skip blank lines before the binding
        if binding.error:
            raise InputError("line is not KEY=VALUE", path=path, line=line, variable=_safe_name(binding.original.string))
        if binding.key is None:
            continue  # blank line or comment
        if not _NAME.match(binding.key):
            raise InputError("not a valid variable name", path=path, line=line, variable=_safe_name(binding.key))
        if binding.value is None:
            raise InputError("no '=': expected KEY=VALUE", path=path, line=line, variable=binding.key)
        values[binding.key] = binding.value
        prov[binding.key] = Origin(path, line)
    return values, prov


def _safe_name(text: str | None) -> str | None:
    """The variable-name part of a bad line, if it has one (never the value)."""
    if not text:
        return None
    head = text.strip().removeprefix("export ").split("=", 1)[0].strip()
    return head if _NAME.match(head) else None


def read_environ(environ: Mapping[str, str] | None = None) -> tuple[dict[str, str], Provenance]:
    """The process environment, restricted to contract names (see the module docstring)."""
    from .catalog import is_contract_name

    env = os.environ if environ is None else environ
    values = {k: v for k, v in env.items() if is_contract_name(k)}
    return values, {k: Origin("<environment>") for k in values}


def read_pulumi_stack(path: str, *, namespace: str = "somastack") -> tuple[dict[str, str], Provenance]:
    """Contract variables of a Pulumi stack config file (``Pulumi.<stack>.yaml``).

    Reads ``config:`` → ``<namespace>:<NAME>`` with NAME in UPPER_CASE. Scalars become strings
    (YAML booleans ``true``/``false``), ``{secure: …}`` becomes :data:`PULUMI_SECURE` + NAME.
    Raises :class:`InputError` when the file is unreadable, not YAML, or a contract value is a
    list/mapping other than ``{secure: …}``.
    """
    import yaml

    from .files import parse_yaml, read_text

    root = parse_yaml(path, read_text(path), compose=True)
    values: dict[str, str] = {}
    prov: Provenance = {}
    if root is None:
        return values, prov
    if not isinstance(root, yaml.MappingNode):
        raise InputError("a Pulumi stack config must be a mapping", path=path, line=root.start_mark.line + 1)
    config = next((v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "config"), None)
    if config is None or (isinstance(config, yaml.ScalarNode) and config.value in ("", "~", "null")):
        return values, prov
    if not isinstance(config, yaml.MappingNode):
        raise InputError("'config' must be a mapping", path=path, line=config.start_mark.line + 1)
    prefix = namespace + ":"
    for key_node, value_node in config.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str) or not key.startswith(prefix):
            continue
        name = key[len(prefix):]
        if not _ENV_NAME.match(name):
            continue  # a stack setting (lower-camel), not a contract variable
        line = key_node.start_mark.line + 1
        if isinstance(value_node, yaml.ScalarNode):
            values[name] = _scalar(value_node)
        elif isinstance(value_node, yaml.MappingNode) and [k.value for k, _ in value_node.value] == ["secure"]:
            values[name] = PULUMI_SECURE + name
        else:
            raise InputError("value must be a scalar or {secure: ...}", path=path, line=line, variable=name)
        prov[name] = Origin(path, line)
    return values, prov


def _scalar(node) -> str:
    """A YAML scalar as the string an environment variable would carry."""
    if node.tag.endswith(":null"):
        return ""
    if node.tag.endswith(":bool"):
        return "true" if node.value.lower() in ("true", "yes", "on", "y") else "false"
    return node.value


def load_sources(paths: list[str], *, from_env: bool = False, pulumi_stack_file: str | None = None,
                 environ: Mapping[str, str] | None = None) -> tuple[dict[str, str], Provenance]:
    """Merge every source into one env dict with provenance (precedence: env files in order,
    then the Pulumi stack file, then the process environment; later wins).

    Returns (name → value, name → :class:`Origin` of the winning value). ``environ`` replaces
    ``os.environ`` for ``from_env`` (tests). Raises :class:`InputError` on unusable input.
    """
    env: dict[str, str] = {}
    prov: Provenance = {}
    layers = [read_dotenv(p) for p in paths]
    if pulumi_stack_file:
        layers.append(read_pulumi_stack(pulumi_stack_file))
    if from_env:
        layers.append(read_environ(environ))
    for values, origins in layers:
        env.update(values)
        prov.update(origins)
    return env, prov
