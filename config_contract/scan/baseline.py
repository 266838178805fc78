"""The scan baseline: accepted findings, in detect-secrets' baseline format.

A baseline is the JSON file ``detect-secrets scan > .secrets.baseline`` writes (version,
plugins_used, filters_used, results, generated_at), so an existing detect-secrets baseline works
as is. ``results`` maps a path (relative to the scanned directory) to entries
``{"type", "filename", "hashed_secret", "is_verified", "line_number"}``; ``hashed_secret`` is the
SHA-1 hex of the secret (detect-secrets' convention). The secret itself is never stored.

Paths in ``results`` are relative to the baseline file's directory (detect-secrets writes them
relative to where it ran, normally the repository root next to ``.secrets.baseline``).

SomaStack additions use the same entry shape: types ``SomaStack Dev Default`` and ``SomaStack
Secret Assignment`` (plugins of :mod:`somastack_deploy.config_contract.scan.plugins`), and ``VIBE-91 Loopback
Fallback`` whose ``hashed_secret`` is the SHA-1 of ``VARIABLE=fallback``.

Matching follows detect-secrets: a finding is accepted when its file has an entry with the same
``hashed_secret`` (the line number may drift as the file is edited).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os

from ..errors import InputError

FALLBACK_TYPE = "VIBE-91 Loopback Fallback"

#: The file looked up in the scanned directory when no baseline is given.
DEFAULT_BASELINE = ".secrets.baseline"


def fallback_hash(variable: str | None, fallback: str) -> str:
    """The ``hashed_secret`` of a VIBE-91 fallback entry: SHA-1 hex of ``VARIABLE=fallback``."""
    return hashlib.sha1(f"{variable or ''}={fallback}".encode("utf-8")).hexdigest()


def load(path: str) -> dict[str, set[str]]:
    """Read a baseline: ``{absolute path: {hashed_secret, …}}`` (entries resolved against the
    baseline file's directory).

    Raises :class:`InputError` (exit 2) naming the file when it is missing, unreadable, not
    JSON or not a baseline (no ``results`` object).
    """
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as err:
        raise InputError(f"cannot read baseline: {err.strerror}", path=path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"baseline is not JSON (line {getattr(err, 'lineno', '?')})", path=path) from None
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, dict):
        raise InputError("not a detect-secrets baseline (no \"results\" object)", path=path)
    accepted: dict[str, set[str]] = {}
    base = os.path.dirname(os.path.abspath(path))
    for filename, entries in results.items():
        if not isinstance(entries, list):
            raise InputError(f"results[{filename!r}] is not a list", path=path)
        hashes = accepted.setdefault(os.path.normpath(os.path.join(base, filename)), set())
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("hashed_secret"), str):
                hashes.add(entry["hashed_secret"])
    return accepted


def dump(entries: list[dict], path: str) -> None:
    """Write a baseline with ``entries`` (dicts with ``type``, ``filename``, ``hashed_secret``,
    ``line_number``), in detect-secrets' layout, plugins and filters as configured by
    :func:`somastack_deploy.config_contract.scan.literals.scan_settings`."""
    from detect_secrets.settings import get_settings

    from .literals import scan_settings

    with scan_settings():
        settings = get_settings().json()
    results: dict[str, list[dict]] = {}
    for entry in sorted(entries, key=lambda e: (e["filename"], e["line_number"], e["type"])):
        results.setdefault(entry["filename"], []).append({
            "type": entry["type"], "filename": entry["filename"], "hashed_secret": entry["hashed_secret"],
            "is_verified": False, "line_number": entry["line_number"]})
    from detect_secrets.__version__ import VERSION

    document = {"version": VERSION, **settings, "results": results,
                "generated_at": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    try:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(document, fh, indent=2)
            fh.write("\n")
    except OSError as err:
        raise InputError(f"cannot write baseline: {err.strerror}", path=path) from None
