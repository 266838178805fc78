"""Infrastructure drift through the Pulumi engine: ``refresh`` in preview mode via the
Automation API (``Stack.preview_refresh``, secrets not shown), one item per resource the
refresh would change: a property whose refreshed value differs from the state → ``changed``
(the engine's ``diffs`` when it gives them, else old vs new outputs of the step's outputs
event); a resource the provider no longer finds → ``missing``. Tested end to end with a CLI
built from the Go module proxy (pkg/v3 v3.259.0) and a dynamic-provider resource.

Needs the ``pulumi`` CLI on PATH (the Automation API drives it); without it the check is not
run and the report says so in ``notes``. Source: Pulumi Automation API docs
(``preview_refresh``, engine events ``ResourcePreEvent.metadata.diffs``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .model import CHANGED, MISSING, DriftItem

PULUMI_CLI_VERSION = "3.259.0"


def cached_cli() -> Path:
    """Where ``checks/drift/pulumi_cli/build.sh`` installs the CLI built from the Go module
    proxy: ``$SOMASTACK_CACHE/pulumi-cli/3.259.0/bin/pulumi``."""
    cache = Path(os.environ.get("SOMASTACK_CACHE") or Path.home() / ".cache" / "somastack-deploy").expanduser()
    return cache / "pulumi-cli" / PULUMI_CLI_VERSION / "bin" / "pulumi"


def pulumi_cli() -> str | None:
    """Path of the ``pulumi`` CLI (PATH first, then the cached build), or ``None``."""
    found = shutil.which("pulumi")
    if found:
        return found
    cached = cached_cli()
    return str(cached) if cached.is_file() and os.access(cached, os.X_OK) else None


def workspace_options(env: dict | None = None):
    """``LocalWorkspaceOptions`` using :func:`pulumi_cli` (its directory first on PATH, so the
    engine finds the plugins installed next to it) plus ``env``."""
    from pulumi import automation as auto

    cli = Path(pulumi_cli() or "pulumi")
    import sys

    # PULUMI_PYTHON_CMD: the interpreter of the dynamic-provider shim (this virtualenv's).
    env_vars = {"PATH": f"{cli.parent}{os.pathsep}{os.environ.get('PATH', '')}", "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_PYTHON_CMD": sys.executable}
    env_vars.update(env or {})
    return auto.LocalWorkspaceOptions(env_vars=env_vars,
                                      pulumi_command=auto.PulumiCommand(root=str(cli.parent.parent),
                                                                        skip_version_check=True))


def _short(v) -> str | None:
    if v is None:
        return None
    text = str(v)
    return text if len(text) <= 120 else text[:119] + "…"


def infra_drift(stack_name: str, work_dir: str, *, env: dict | None = None) -> tuple[list[DriftItem], list[str]]:
    """Run ``pulumi refresh --preview-only`` for ``stack_name`` in ``work_dir`` and return
    ``(items, notes)``. ``env``: extra environment of the CLI (e.g. ``PULUMI_BACKEND_URL``).
    Raises the Automation API's errors (``CommandError``) on failure."""
    if pulumi_cli() is None:
        return [], ["infra drift not checked: the pulumi CLI is not installed"]
    from pulumi import automation as auto

    stack = auto.select_stack(stack_name=stack_name, work_dir=work_dir, opts=workspace_options(env))
    items: list[DriftItem] = []

    def on_event(ev):
        # Pulumi 3.259: the refreshed state arrives in the step's outputs event (op ``same``
        # even when values changed, ``delete`` when the provider no longer finds it); the
        # pre-event carries the stored state twice. So diff old vs new outputs of that event.
        out = getattr(ev, "res_outputs_event", None)
        if out is None or out.metadata is None:
            return
        md = out.metadata
        op = str(getattr(md.op, "value", md.op))
        name = f"{md.type} {md.urn.rsplit('::', 1)[-1]}"
        if op == "delete" or (md.old is not None and md.new is None):
            items.append(DriftItem("infra", "pulumi", name, "", MISSING, "in state", None, source=f"stack {stack_name}"))
            return
        old = (md.old.outputs if md.old else {}) or {}
        new = (md.new.outputs if md.new else {}) or {}
        keys = list(md.diffs or []) or sorted(k for k in set(old) | set(new)
                                             if k != "__provider" and old.get(k) != new.get(k))
        for key in keys:
            e, a = old.get(key), new.get(key)
            secret = "[secret]" in str(e) + str(a)
            items.append(DriftItem("infra", "pulumi", name, key, CHANGED, _short(e), _short(a), secret,
                                   source=f"stack {stack_name}"))

    stack.preview_refresh(on_event=on_event, show_secrets=False, suppress_progress=True, color="never")
    return items, []
