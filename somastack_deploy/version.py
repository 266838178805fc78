"""The installed distribution's version (one source: the package metadata of ``pyproject.toml``)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def version() -> str:
    """``somastack-deploy``'s version, e.g. ``"0.1.0"``; ``"0+unknown"`` when the package runs
    without installed metadata (a bare source tree on ``sys.path``)."""
    from importlib.metadata import PackageNotFoundError, version as dist_version

    try:
        return dist_version("somastack-deploy")
    except PackageNotFoundError:
        return "0+unknown"
