"""Masking of secret values for every output, log and report.

A secret value never appears in output (developers' guide). ``mask`` keeps references
(``ref+vault://…``, ``${VAR}``) readable, since they are not secrets, and replaces literals.
"""

from __future__ import annotations

import hashlib

MASK = "****"


def mask(value: str | None) -> str:
    """Return a printable stand-in for a secret value.

    References are returned unchanged; a literal becomes ``****`` (length and content hidden).
    """
    from .topology import is_reference

    if value is None or value == "":
        return ""
    return value if is_reference(value) else MASK


def fingerprint(value: str) -> str:
    """A short, salted-free SHA-256 fingerprint (first 12 hex digits) for comparing secrets
    by hash in drift reports without printing them. Not reversible for high-entropy values."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]
