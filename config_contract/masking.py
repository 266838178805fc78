"""Masking of secret values for every output, log and report.

A secret value never appears in output (developers' guide). ``mask`` keeps references
(``ref+vault://…``, ``${VAR}``, ``file:///…#KEY``; grammar:
:mod:`somastack_deploy.config_contract.grammar.references`) readable, since they are not
secrets, and replaces literals. Which values are secrets is decided in
:mod:`somastack_deploy.config_contract.grammar.secrets`.
"""

from __future__ import annotations

import hashlib

MASK = "****"


def mask(value: str | None) -> str:
    """Return a printable stand-in for a secret value.

    References are returned unchanged; a literal, and a Pulumi secret (shown as Pulumi shows
    it), become ``****`` (length and content hidden).
    """
    from .grammar.references import parse_reference

    if value is None or value == "":
        return ""
    ref = parse_reference(value, allow_file=True)
    return value if ref is not None and ref.scheme != "pulumi" else MASK


def fingerprint(value: str) -> str:
    """A short, salted-free SHA-256 fingerprint (first 12 hex digits) for comparing secrets
    by hash in drift reports without printing them. Not reversible for high-entropy values."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]
