"""Resolve secret references to values, in memory only.

Forms (the grammar: :func:`somastack_deploy.config_contract.grammar.references.parse_reference`):
- ``${VAR}``: the process environment.
- ``file:///ABS/PATH#a.b``: a JSON file readable only by its owner (the harness's
  ``credentials.json``); the fragment is a dotted key path.
- ``ref+vault://PATH#/KEY``, ``ref+awssecrets://NAME[#/KEY]`` and ``ref+awsssm://PATH``:
  resolved by the Vault (hvac), Secrets Manager and SSM (boto3) backends in :mod:`somastack_deploy.config_contract.secret_backends`.

A resolved value is never logged or printed by this module. Errors name the reference's
scheme and path, never a value.
"""

from __future__ import annotations

import json
import os
import stat


class ReferenceError_(LookupError):
    """A reference could not be resolved (missing file/key/variable, backend refused)."""


def resolve(ref: str, **backend_options) -> str:
    """Return the secret value behind ``ref``.

    ``backend_options`` go to the Vault/AWS backends (e.g. ``vault_addr``, ``vault_token``).
    Raises :class:`ReferenceError_` when it cannot be resolved, ``ValueError`` when ``ref`` is
    not a reference.
    """
    from .grammar.references import BACKEND_SCHEMES, parse_reference

    parsed = parse_reference(ref, allow_file=True)
    if parsed is None:
        raise ValueError("not a secret reference")
    if parsed.scheme == "env":
        if parsed.path not in os.environ:
            raise ReferenceError_(f"environment variable {parsed.path} is not set")
        return os.environ[parsed.path]
    if parsed.scheme == "file":
        path, key = parsed.path, ".".join(parsed.key)
        try:
            st = os.stat(path)
            if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise ReferenceError_(f"{path}: credential file is readable by group/others (chmod 600)")
            with open(path, encoding="utf-8") as fh:
                node = json.load(fh)
        except OSError as err:
            raise ReferenceError_(f"{path}: {err.strerror}") from None
        except json.JSONDecodeError:
            raise ReferenceError_(f"{path}: not JSON") from None
        for part in parsed.key:
            if not isinstance(node, dict) or part not in node:
                raise ReferenceError_(f"{path}: no key {key}")
            node = node[part]
        return str(node)
    if parsed.scheme in BACKEND_SCHEMES:
        from . import secret_backends  # imports hvac/boto3 lazily

        return secret_backends.resolve(ref, **backend_options)
    raise ValueError("not a secret reference")
