"""Engine drift: ``pulumi refresh --preview-only`` through the Automation API.

:func:`engine_drift` asks the Pulumi engine to read every resource of a stack from its provider
and compare it with the stack's state, without writing the state (``Stack.preview_refresh``,
Pulumi Automation API; CLI ``pulumi refresh --preview-only``). Each resource whose refresh step
changes anything yields one :class:`~checks.drift.model.DriftItem` per changed property path
(``ResOutputsEvent.metadata.detailed_diff`` keys, else ``diffs``, else the exact paths where the
state's and the live outputs differ: CLI 3.259 sends no diffs for refresh steps, and the step's
op may be ``update`` or ``same`` depending on the provider, so the outputs are compared for every
op), ``change`` =
``changed``, ``expected`` = the value in the state, ``actual`` = the value read live; a resource
the refresh would ``delete`` (gone out of band: op ``delete`` or live outputs absent) yields one item with ``change`` = ``missing``
and an empty ``field``. Secret outputs are never shown (``show_secrets=False``; a value the
engine masks as ``[secret]`` is reported with ``secret=True`` and no values; a step the engine
marks ``update`` whose only difference is hidden in masked secrets — both states show the same
mask — yields one such item per masked secret path, so a secret changed out of band is not
lost).

Programs run as Automation API *inline* programs (the CLI connects back to this process with
``--client``), because the Python language host ``pulumi-language-python`` cannot be built here
(docs/engine.md). A project directory is accepted too: its ``Pulumi.yaml`` gives the project
name and its ``__main__.py`` is run as the inline program when the engine asks for it; a
directory with only ``Pulumi.yaml`` selects an existing stack as a local-program workspace (a
refresh does not run the program), which is what ``somastack-deploy drift --stack`` uses through
:func:`infra_drift`.
"""

from __future__ import annotations

import os
import runpy
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from .engine_cli import PulumiCliNotFound, find_cli_root
from .model import CHANGED, MISSING, DriftItem

#: Output keys that are engine/provider internals, not resource properties (the dynamic
#: provider's serialized provider is stored as ``__provider``).
INTERNAL_KEYS = frozenset({"__provider"})

#: Values longer than this (characters) are shortened in items.
MAX_VALUE_CHARS = 120


class EngineDriftError(Exception):
    """The engine run failed or the input is unusable (no such stack, bad project directory,
    no passphrase for a file backend). ``str(err)`` is one line; it never contains a secret."""


def _get_path(values: Mapping | None, path: str):
    """Value at a Pulumi property path (``a.b[0].c``) in ``values``; ``None`` when absent."""
    cur = values or {}
    for part in path.replace("]", "").replace("[", ".").split("."):
        if part == "":
            continue
        if isinstance(cur, Mapping):
            cur = cur.get(part)
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return None
    return cur


def diff_paths(old, new, prefix: str = "") -> list[str]:
    """Property paths (``a.b``, ``a[0]``) where ``old`` and ``new`` differ, descending into
    objects and equal-length lists; a changed scalar, type or list length is one path."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            out += diff_paths(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new) and prefix:
        out = []
        for i, (o, n) in enumerate(zip(old, new)):
            out += diff_paths(o, n, f"{prefix}[{i}]")
        return out
    return [] if old == new else [prefix]


#: How the engine shows a secret value when secrets are not shown: an object whose signature
#: key holds the secret signature (Pulumi's property-value wire format, ``pulumi.runtime.rpc``
#: ``_special_sig_key`` / ``_special_secret_sig``), its ``ciphertext`` replaced by ``[secret]``.
_SIG_KEY, _SECRET_SIG, MASKED = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270", "[secret]"


def secret_paths(values, prefix: str = "") -> list[str]:
    """Property paths (``a.b``, ``a[0]``) of the masked secret values in ``values`` (an
    object in the engine's event form, see :data:`MASKED`), sorted; a masked value is not
    descended into."""
    if values == MASKED or (isinstance(values, Mapping) and values.get(_SIG_KEY) == _SECRET_SIG):
        return [prefix] if prefix else []
    out: list[str] = []
    if isinstance(values, Mapping):
        for key in sorted(values):
            out += secret_paths(values[key], f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(values, list):
        for i, v in enumerate(values):
            out += secret_paths(v, f"{prefix}[{i}]")
    return out


def _short(value) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _project(program) -> tuple[Callable[[], None] | None, str | None, Path | None]:
    """``(inline program or None, project name from Pulumi.yaml or None, project dir or None)``.
    A directory without ``__main__.py`` gives no inline program (existing stack, local workspace)."""
    if callable(program):
        return program, None, None
    d = Path(program)
    spec = d / "Pulumi.yaml"
    main = d / "__main__.py"
    if not spec.is_file():
        raise EngineDriftError(f"{d}: not a Pulumi project (no Pulumi.yaml)")
    import yaml

    try:
        name = (yaml.safe_load(spec.read_text(encoding="utf-8")) or {}).get("name")
    except (OSError, yaml.YAMLError) as exc:
        raise EngineDriftError(f"{spec}: unreadable: {type(exc).__name__}") from None
    if not name:
        raise EngineDriftError(f"{spec}: name: missing")
    if not main.is_file():
        return None, str(name), d

    def run_main() -> None:
        if str(d) not in sys.path:
            sys.path.insert(0, str(d))
        runpy.run_path(str(main), run_name="__main__")

    return run_main, str(name), d


def open_stack(program, stack_name: str, backend_url: str | None, *, project_name: str | None = None,
               create: bool = False, cli_root=None, env: Mapping[str, str] | None = None,
               work_dir: str | os.PathLike | None = None):
    """Return an Automation API ``Stack`` for ``program`` (callable or project directory).

    ``work_dir`` (with a callable ``program``): the project directory whose ``Pulumi.yaml``
    (project name) and ``Pulumi.<stack>.yaml`` (stack config) the workspace uses, the program
    running inline (``somastack-deploy up --stack NAME``).

    ``backend_url``: ``file:///abs/dir`` (local file backend) or any Pulumi backend URL;
    ``None``: the CLI's own choice (``PULUMI_BACKEND_URL`` in ``env`` or the environment, the
    project's ``backend``, or the logged-in backend).
    ``env``: extra environment for the CLI and plugins, e.g. ``PULUMI_CONFIG_PASSPHRASE``
    (required by a file backend; never logged). ``create``: create the stack when missing
    (else it must exist). Raises :class:`~checks.drift.engine_cli.PulumiCliNotFound` and
    :class:`EngineDriftError`.
    """
    from pulumi import automation as auto

    root = find_cli_root(cli_root)
    if callable(program) and work_dir is not None:
        fn, dir_project, work_dir = program, _project(Path(work_dir))[1], Path(work_dir)
    else:
        fn, dir_project, work_dir = _project(program)
    name = project_name or dir_project
    if not name:
        raise EngineDriftError("project_name is required for an inline program")
    env_vars = {
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
        "PULUMI_PYTHON_CMD": sys.executable,  # used by pulumi-resource-pulumi-python
        "PATH": os.pathsep.join([str(root / "bin"), str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        **dict(env or {}),
    }
    effective = backend_url or env_vars.get("PULUMI_BACKEND_URL") or os.environ.get("PULUMI_BACKEND_URL") or ""
    if effective.startswith("file:") and not (env_vars.get("PULUMI_CONFIG_PASSPHRASE")
                                                 or env_vars.get("PULUMI_CONFIG_PASSPHRASE_FILE")
                                                 or os.environ.get("PULUMI_CONFIG_PASSPHRASE")
                                                 or os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")):
        raise EngineDriftError("PULUMI_CONFIG_PASSPHRASE: not set (needed by the file backend's secrets provider)")
    if work_dir and backend_url:  # a project directory's Pulumi.yaml may name another backend: this one wins
        env_vars["PULUMI_BACKEND_URL"] = backend_url
    opts = auto.LocalWorkspaceOptions(
        work_dir=str(work_dir) if work_dir else None,
        pulumi_command=auto.PulumiCommand(root=str(root), skip_version_check=True),
        env_vars=env_vars,
        project_settings=None if work_dir else auto.ProjectSettings(
            name=name, runtime="python", backend=auto.ProjectBackend(url=backend_url) if backend_url else None),
    )
    try:
        if fn is None:  # existing stack of a project directory without a program
            return auto.select_stack(stack_name=stack_name, work_dir=str(work_dir), opts=opts)
        if create:
            return auto.create_or_select_stack(stack_name=stack_name, project_name=name, program=fn, opts=opts)
        return auto.select_stack(stack_name=stack_name, project_name=name, program=fn, opts=opts)
    except auto.errors.CommandError as exc:
        raise EngineDriftError(f"stack {stack_name}: {_last_line(exc)}") from None


def _last_line(exc: Exception) -> str:
    text = str(getattr(exc, "stderr", "") or "") or str(exc)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith(("code:", "stdout:", "stderr:"))]
    if not lines and type(exc).__name__ == "StackNotFoundError":
        return "no such stack in this backend"
    return (lines[-1] if lines else type(exc).__name__)[:300]


def engine_drift(program, stack_name: str, backend_url: str | None, *, project_name: str | None = None,
                 cli_root=None, env: Mapping[str, str] | None = None) -> list[DriftItem]:
    """Drifted resources/properties of ``stack_name`` as the Pulumi engine sees them.

    ``program``: an inline program (callable; then ``project_name`` is required) or a Pulumi
    Python project directory. ``backend_url``, ``env``, ``cli_root``: see :func:`open_stack`.
    Returns ``DriftItem(kind="infra", service="pulumi", object="<type> <name>", field=<property
    path>, change="changed"|"missing", expected=<state value>, actual=<live value>)`` sorted by
    ``(object, field)``; empty when nothing drifted. Raises
    :class:`~checks.drift.engine_cli.PulumiCliNotFound` (no CLI) and :class:`EngineDriftError`
    (the engine run failed: message is the CLI's last error line).
    """
    from pulumi import automation as auto

    stack = open_stack(program, stack_name, backend_url, project_name=project_name, cli_root=cli_root, env=env)
    items: list[DriftItem] = []
    source = f"stack {stack_name}"

    def on_event(ev) -> None:
        # The refresh step's final op and both states arrive on ResOutputsEvent (CLI 3.259:
        # op "update" or "same" with old/new outputs, diffs None; "delete" when the resource is
        # gone). The pre-event carries the stored state twice, so it is not used.
        done = getattr(ev, "res_outputs_event", None)
        if done is None or done.metadata is None:
            return
        md = done.metadata
        op = str(getattr(md.op, "value", md.op))
        obj = f"{md.type} {md.urn.rsplit('::', 1)[-1]}"
        if op == "delete" or (md.old is not None and md.new is None):
            items.append(DriftItem("infra", "pulumi", obj, "", MISSING, "in state", None, source=source))
            return
        if op in ("create", "create-replacement", "read"):
            return
        old = (md.old.outputs if md.old else None) or {}
        new = (md.new.outputs if md.new else None) or {}
        paths = [p for p in sorted(md.detailed_diff or {}) or sorted(md.diffs or []) or diff_paths(old, new)
                 if p.split(".", 1)[0] not in INTERNAL_KEYS]
        if not paths and op == "update":
            # The engine read a change it does not show: a secret output is masked the same way
            # in both states (show_secrets=False), so only its path can be reported.
            paths = secret_paths({k: v for k, v in new.items() if k not in INTERNAL_KEYS})
        for path in paths:
            e, a = _get_path(old, path), _get_path(new, path)
            secret = MASKED in f"{e}{a}"
            items.append(DriftItem("infra", "pulumi", obj, path, CHANGED, None if secret else _short(e),
                                   None if secret else _short(a), secret, source=source))

    try:
        stack.preview_refresh(on_event=on_event, show_secrets=False, suppress_progress=True, color="never")
    except auto.errors.CommandError as exc:
        raise EngineDriftError(f"stack {stack_name}: refresh preview failed: {_last_line(exc)}") from None
    return sorted(items, key=lambda i: (i.object, i.field))


def infra_drift(stack_name: str, work_dir: str, *, env: Mapping[str, str] | None = None
                ) -> tuple[list[DriftItem], list[str]]:
    """Infra drift for ``somastack-deploy drift --stack NAME [--cwd DIR]``: :func:`engine_drift`
    of the existing stack ``stack_name`` of the Pulumi project in ``work_dir`` (its
    ``Pulumi.yaml``; backend and passphrase from ``env``/the environment as for the CLI).

    Returns ``(items, notes)``: ``notes`` is ``["infra drift not checked: …"]`` when there is no
    Pulumi CLI (the report says so instead of failing). Raises :class:`EngineDriftError` (one
    line, no secret) when the stack cannot be read or the refresh preview fails.
    """
    try:
        return engine_drift(Path(work_dir), stack_name, None, env=env), []
    except PulumiCliNotFound as exc:
        return [], [f"infra drift not checked: {exc}"]
