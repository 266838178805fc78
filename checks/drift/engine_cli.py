"""Locate the Pulumi CLI for the Automation API and for ``pulumi stack output``.

No released Pulumi CLI is reachable here; ``harness/install/pulumi/build.sh`` (run by
``somastack-services install``) builds it from the Go module proxy into
``<cache>/pulumi/bin/pulumi`` with the dynamic-provider and policy-pack launcher scripts next to
it. ``<cache>`` is ``$SOMASTACK_CACHE`` or ``~/.cache/somastack-deploy`` (the harness's default).
See docs/engine.md.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


class PulumiCliNotFound(Exception):
    """No Pulumi CLI: neither ``<root>/bin/pulumi`` nor ``pulumi`` on PATH. ``str(err)`` is one
    line naming where it looked and how to build it."""


def cache_root() -> Path:
    """``$SOMASTACK_CACHE/pulumi`` or ``~/.cache/somastack-deploy/pulumi`` (build.sh's output)."""
    env = os.environ.get("SOMASTACK_CACHE")
    base = Path(env).expanduser() if env else Path.home() / ".cache" / "somastack-deploy"
    return base / "pulumi"


def find_cli_root(root: str | os.PathLike | None = None) -> Path:
    """Return the directory ``R`` such that ``R/bin/pulumi`` is the CLI to use.

    Order: ``root`` if given (must contain ``bin/pulumi``), else :func:`cache_root`, else the
    parent of the parent of ``pulumi`` on PATH. Raises :class:`PulumiCliNotFound`.
    """
    if root is not None:
        r = Path(root)
        if (r / "bin" / "pulumi").is_file():
            return r
        raise PulumiCliNotFound(f"no Pulumi CLI at {r / 'bin' / 'pulumi'}")
    r = cache_root()
    if (r / "bin" / "pulumi").is_file():
        return r
    on_path = shutil.which("pulumi")
    if on_path:
        return Path(on_path).resolve().parent.parent
    raise PulumiCliNotFound(
        f"no Pulumi CLI: not at {r / 'bin' / 'pulumi'} and not on PATH "
        "(build it with `somastack-services install` or harness/install/pulumi/build.sh)")


def find_cli() -> str | None:
    """Path of the ``pulumi`` executable :func:`find_cli_root` picks, or ``None`` when there is
    none (for callers that report "not checked" instead of failing)."""
    try:
        return str(find_cli_root() / "bin" / "pulumi")
    except PulumiCliNotFound:
        return None
