"""Infrastructure drift through the Pulumi engine (issue 5), end to end with a real CLI.

- :mod:`.cli`: find the Pulumi CLI (the one ``harness/install/pulumi/build.sh`` builds into
  the cache, else ``pulumi`` on PATH); :class:`PulumiCliNotFound` when there is none.
- :mod:`.engine`: :func:`engine_drift` runs ``pulumi refresh --preview-only`` through the
  Automation API (``Stack.preview_refresh``) and returns one
  :class:`checks.drift.model.DriftItem` per drifted resource property.

See ``docs/engine.md``.
"""

from .cli import PulumiCliNotFound, find_cli_root
from .engine import EngineDriftError, engine_drift

__all__ = ["PulumiCliNotFound", "find_cli_root", "EngineDriftError", "engine_drift"]
