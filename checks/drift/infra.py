"""Infrastructure drift through the Pulumi engine: ``refresh`` in preview mode via the
Automation API (``Stack.preview_refresh``, secrets not shown), one item per resource the
refresh would change (``op`` update → ``changed`` per diffed property; delete → ``missing``).

Needs the ``pulumi`` CLI on PATH (the Automation API drives it); without it the check is not
run and the report says so in ``notes``. Source: Pulumi Automation API docs
(``preview_refresh``, engine events ``ResourcePreEvent.metadata.diffs``).
"""

from __future__ import annotations

import shutil

from .model import CHANGED, MISSING, DriftItem


def pulumi_cli() -> str | None:
    """Path of the ``pulumi`` CLI, or ``None``."""
    return shutil.which("pulumi")


def _short(v) -> str | None:
    if v is None:
        return None
    text = str(v)
    return text if len(text) <= 120 else text[:119] + "…"


def infra_drift(stack_name: str, work_dir: str) -> tuple[list[DriftItem], list[str]]:
    """Run ``pulumi refresh --preview-only`` for ``stack_name`` in ``work_dir`` and return
    ``(items, notes)``. Raises the Automation API's errors (``CommandError``) on failure."""
    if pulumi_cli() is None:
        return [], ["infra drift not checked: the pulumi CLI is not installed"]
    from pulumi import automation as auto

    stack = auto.select_stack(stack_name=stack_name, work_dir=work_dir)
    items: list[DriftItem] = []

    def on_event(ev):
        pre = getattr(ev, "resource_pre_event", None)
        if pre is None or pre.metadata is None:
            return
        md = pre.metadata
        op = str(getattr(md.op, "value", md.op))
        if op in ("same", "read"):
            return
        urn = md.urn
        name = f"{md.type} {urn.rsplit('::', 1)[-1]}"
        if op == "delete":
            items.append(DriftItem("infra", "pulumi", name, "", MISSING, "in state", None, source=f"stack {stack_name}"))
            return
        old = (md.old.outputs if md.old else {}) or {}
        new = (md.new.outputs if md.new else {}) or {}
        for key in md.diffs or []:
            e, a = old.get(key), new.get(key)
            secret = "[secret]" in str(e) + str(a)
            items.append(DriftItem("infra", "pulumi", name, key, CHANGED, _short(e), _short(a), secret,
                                   source=f"stack {stack_name}"))

    stack.preview_refresh(on_event=on_event, show_secrets=False, suppress_progress=True, color="never")
    return items, []
