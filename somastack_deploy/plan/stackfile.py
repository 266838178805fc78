"""Read a Pulumi stack config file (``Pulumi.<stack>.yaml``) and the project file.

``load_stack_file(path) -> dict[str, object]``: the ``config:`` mapping, keys as written
(``somastack:SA01_DEPLOYMENT_TARGET``, ``aws:region``, ``somastack:dbInstanceClass``), values
as YAML gives them (``{"secure": ...}`` kept for the runner). ``project_name(root)``: the
``name`` of ``Pulumi.yaml`` in ``root`` (``somastack`` when absent).
``project_defaults(root)``: the ``default`` values the project file declares under ``config:``
(keys without a namespace get ``<project>:``), which the Pulumi CLI applies when a stack does
not set the key; ``with_project_defaults(config, root)`` merges them under ``config``.

Errors: :class:`somastack_deploy.config_contract.errors.InputError` (exit 2), one line naming the file and,
for YAML errors, the line: ``Pulumi.x.yaml:3: not valid YAML (mapping values are not allowed here)``.
Source: Pulumi docs "Project and stack settings files" (``Pulumi.<stack>.yaml`` ``config:``).
"""

from __future__ import annotations

import os

from somastack_deploy.config_contract.errors import InputError
from somastack_deploy.config_contract.files import parse_yaml, read_text


def load_stack_file(path: str) -> dict[str, object]:
    """The ``config:`` mapping of the stack file at ``path`` (see module doc)."""
    doc = parse_yaml(path, read_text(path, noun="stack file"))
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise InputError("a Pulumi stack file must be a mapping", path=path, line=1)
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise InputError("'config' must be a mapping", path=path)
    out: dict[str, object] = {}
    for key, value in config.items():
        if not isinstance(key, str) or not key:
            raise InputError("config keys must be strings", path=path)
        out[key] = value
    return out


def project_name(root: str) -> str:
    """``name`` from ``<root>/Pulumi.yaml``; ``somastack`` when the file is absent or unnamed."""
    path = os.path.join(root, "Pulumi.yaml")
    if not os.path.exists(path):
        return "somastack"
    doc = parse_yaml(path, read_text(path, noun="project file"))
    name = doc.get("name") if isinstance(doc, dict) else None
    return str(name) if name else "somastack"


def project_defaults(root: str) -> dict[str, object]:
    """``{key: default}`` from the ``config:`` block of ``<root>/Pulumi.yaml`` (see module doc)."""
    path = os.path.join(root, "Pulumi.yaml")
    if not os.path.exists(path):
        return {}
    doc = parse_yaml(path, read_text(path, noun="project file"))
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        return {}
    name = str(doc.get("name") or "somastack")
    out: dict[str, object] = {}
    for key, spec in doc["config"].items():
        full = key if ":" in str(key) else f"{name}:{key}"
        if isinstance(spec, dict) and "default" in spec:
            out[full] = spec["default"]
        elif not isinstance(spec, dict):
            out[full] = spec  # short form: ``key: value``
    return out


def with_project_defaults(config: dict[str, object], root: str) -> dict[str, object]:
    """``config`` with the project's declared defaults for keys it does not set."""
    return {**project_defaults(root), **config}
