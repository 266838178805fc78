"""Run a Pulumi program offline under :class:`~somastack_deploy.plan.mocks.SomaStackMocks`
and capture every resource it registers.

API (stable; the components' and stacks' unit tests use it)::

    from somastack_deploy.plan.runner import run_stack, CapturedPlan, CapturedResource
    plan = run_stack("fargate-prod", {"somastack:SA01_DEPLOYMENT_TARGET": "FARGATE",
                                      "aws:region": "eu-west-1"}, stacks.program.main)
    plan.resources            # tuple[CapturedResource, ...] in tree order (deterministic)
    plan.of_type("aws:rds/instance:Instance")   # list of resources of a type token
    plan.by_name("db")        # the resource with that logical name (KeyError if none)
    plan.children(res)        # resources whose parent is ``res``
    plan.stack_outputs        # dict of stack exports (secrets masked)
    plan.raw_stack_outputs    # dict of stack exports, unmasked (in memory only; never print)

``run_stack(stack_name, config, program, *, project="somastack", mocks=None)``:

- ``config`` maps Pulumi config keys to values. ``"somastack:KEY"``/``"aws:region"`` are
  used as-is; a key without a namespace gets ``<project>:``. Values that are ``str`` pass
  through, ``bool`` become ``"true"``/``"false"``, numbers ``str(n)``, lists/dicts JSON
  (as the Pulumi CLI passes them). A value ``{"secure": ...}`` (an encrypted stack-file
  value) or :class:`SecretValue` marks the key secret (``Config.require_secret``) — a
  ``{"secure": ...}`` cipher text cannot be decrypted offline, so its value becomes the
  reference ``ref+pulumi-secure://<KEY>`` (:data:`somastack_deploy.config_contract.sources.PULUMI_SECURE`),
  which the contract treats as a secret reference, as ``preflight`` does for stack files.
- Runs ``program()`` with the mock runtime, ``preview=False`` (so ``apply`` callbacks run),
  waits for every registration and output, and resets the runtime (pending Output tasks in
  ``SETTINGS.outputs``, pending RPCs, other unfinished tasks of the idle event loop, root stack
  resource, config) afterwards, also when the program raised, so several runs in one process
  are independent: a run after a failed run gives what a fresh process gives.
- Exceptions raised by ``program`` (e.g. a contract violation) propagate unchanged after the
  reset; nothing is printed.

What is captured per resource (:class:`CapturedResource`): type token, logical name, URN,
parent URN/name/type (from the monitor's ``RegisterResource`` request), ``custom``,
provider reference, dependencies (URNs), physical id, ``inputs`` and ``outputs`` with
every Pulumi secret masked (:func:`somastack_deploy.config_contract.masking.mask`; structure kept, leaves
masked), the set of masked input keys (``secret_inputs``), and ``props``: the unmasked
inputs that policies evaluate, exactly what CrossGuard gives a resource validation policy
(kept in memory only, excluded from ``repr``; never print it). Component resources also get
``outputs`` from their ``register_outputs`` call.

Source: Pulumi "Unit testing" guide (``pulumi.runtime.set_mocks``) and the Python SDK's
``MockMonitor``; facts from issue 3 ("Facts found while scoping").
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime import mocks as _mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime import config as _config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from somastack_deploy.config_contract.masking import MASK, mask
from somastack_deploy.config_contract.sources import PULUMI_SECURE

from .mocks import SomaStackMocks

__all__ = ["CapturedPlan", "CapturedResource", "SecretValue", "run_stack", "mask_tree", "STACK_TYPE"]

STACK_TYPE = "pulumi:pulumi:Stack"
_UNKNOWN = rpc.UNKNOWN  # the wire sentinel for an unknown value
_SIG = rpc._special_sig_key
_SECRET = rpc._special_secret_sig
_RESOURCE = rpc._special_resource_sig
_ASSET = rpc._special_asset_sig
_ARCHIVE = rpc._special_archive_sig


@dataclass(frozen=True)
class SecretValue:
    """A config value to be treated as a Pulumi secret (``Config.require_secret``)."""

    value: str

    def __repr__(self) -> str:  # never show the value
        return f"SecretValue({MASK})"


@dataclass(frozen=True)
class CapturedResource:
    """One registered resource (see module doc). ``inputs``/``outputs`` are masked;
    ``props`` holds the unmasked inputs for policy evaluation only (not in ``repr``)."""

    urn: str
    type: str
    name: str
    parent: str | None
    parent_name: str | None
    parent_type: str | None
    custom: bool
    id: str | None
    provider: str | None
    dependencies: tuple[str, ...]
    inputs: dict
    outputs: dict
    secret_inputs: frozenset[str] = frozenset()
    props: dict = field(default_factory=dict, repr=False, compare=False)
    #: Input properties the resource option ``ignore_changes`` names (wire names).
    ignore_changes: tuple[str, ...] = ()

    @property
    def is_component(self) -> bool:
        """True for a component resource (not managed by a provider)."""
        return not self.custom


@dataclass(frozen=True)
class CapturedPlan:
    """Everything a mock run registered: ``resources`` in deterministic tree order, the root
    stack URN, ``stack_outputs`` (masked) and ``raw_stack_outputs`` (unmasked, not in repr)."""

    stack: str
    project: str
    stack_urn: str
    resources: tuple[CapturedResource, ...]
    stack_outputs: dict
    raw_stack_outputs: dict = field(default_factory=dict, repr=False, compare=False)

    def of_type(self, token: str) -> list[CapturedResource]:
        """Resources whose type token equals ``token`` (e.g. ``aws:rds/instance:Instance``)."""
        return [r for r in self.resources if r.type == token]

    def by_name(self, name: str) -> CapturedResource:
        """The resource with logical name ``name``. Raises ``KeyError`` if none; when several
        resources share the name, the first in tree order."""
        for r in self.resources:
            if r.name == name:
                return r
        raise KeyError(name)

    def by_urn(self, urn: str) -> CapturedResource:
        """The resource with URN ``urn``; ``KeyError`` if none."""
        for r in self.resources:
            if r.urn == urn:
                return r
        raise KeyError(urn)

    def children(self, parent: CapturedResource | str) -> list[CapturedResource]:
        """Direct children of ``parent`` (a resource or a URN; the stack URN for top level)."""
        urn = parent if isinstance(parent, str) else parent.urn
        return [r for r in self.resources if r.parent == urn]

    def types(self) -> set[str]:
        """The set of type tokens registered."""
        return {r.type for r in self.resources}


# ---------------------------------------------------------------------- wire decoding
def _decode(value: Any, masked: bool, secret: bool = False) -> Any:
    """Decode a protobuf Struct/ListValue/primitive with Pulumi's signatures.

    ``masked``: replace secret leaves by :func:`mask`; ``secret``: we are inside a secret.
    Unknowns decode to ``None``; resource references to their URN; assets to ``{"asset": ...}``.
    Mapping keys come out sorted (deterministic across runs).
    """
    if isinstance(value, struct_pb2.Struct):
        if _SIG in value:
            sig = value[_SIG]
            if sig == _SECRET:
                return _decode(value["value"], masked, True) if "value" in value else None
            if sig == _RESOURCE:
                return value["urn"] if "urn" in value else None
            if sig in (_ASSET, _ARCHIVE):
                kind = "asset" if sig == _ASSET else "archive"
                for k in ("path", "uri", "text"):
                    if k in value:
                        return {kind: _leaf(str(value[k]), masked, secret)}
                return {kind: None}
            return None  # output value (not enabled on the mock monitor)
        out = {}
        for k, v in sorted(value.items()):  # protobuf map order is not stable
            d = _decode(v, masked, secret)
            if d is not None:
                out[k] = d
        return out
    if isinstance(value, struct_pb2.ListValue):
        return [_decode(v, masked, secret) for v in value]
    if value == _UNKNOWN:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _leaf(value, masked, secret)


def _leaf(value: Any, masked: bool, secret: bool) -> Any:
    if not (masked and secret) or value is None:
        return value
    return mask(value) if isinstance(value, str) else MASK


def _secret_keys(struct: struct_pb2.Struct) -> frozenset[str]:
    """Top-level keys of ``struct`` holding a secret anywhere inside."""

    def has_secret(v: Any) -> bool:
        if isinstance(v, struct_pb2.Struct):
            if _SIG in v and v[_SIG] == _SECRET:
                return True
            return any(has_secret(x) for x in v.values())
        if isinstance(v, struct_pb2.ListValue):
            return any(has_secret(x) for x in v)
        return False

    return frozenset(k for k, v in struct.items() if has_secret(v))


def mask_tree(value: Any) -> Any:
    """Mask every leaf of a plain Python value (dict/list structure kept; keys are not secret)."""
    if isinstance(value, dict):
        return {k: mask_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_tree(v) for v in value]
    if value is None:
        return None
    return mask(value) if isinstance(value, str) else MASK


# ---------------------------------------------------------------------- capturing monitor
class _CapturingMonitor(_mocks.MockMonitor):
    """MockMonitor that records each RegisterResource request (parent, inputs) and response."""

    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self._lock = threading.Lock()
        self.records: dict[str, dict] = {}
        self.component_outputs: dict[str, struct_pb2.Struct] = {}
        self.stack_urn = ""

    def _record(self, request, response, kind: str) -> None:
        with self._lock:
            self.records[response.urn] = {
                "type": request.type, "name": request.name, "parent": request.parent or None,
                "custom": bool(getattr(request, "custom", True)) if kind == "register" else True,
                "provider": request.provider or None,
                "dependencies": tuple(getattr(request, "dependencies", ()) or ()),
                "ignore_changes": tuple(getattr(request, "ignoreChanges", ()) or ()),
                "inputs": request.properties if kind == "read" else request.object,
                "outputs": getattr(response, "object", None) if kind == "register" else response.properties,
                "id": getattr(response, "id", None) or getattr(request, "id", None),
            }

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type == STACK_TYPE:
            self.stack_urn = response.urn
        else:
            self._record(request, response, "register")
        return response

    def ReadResource(self, request):
        response = super().ReadResource(request)
        self._record(request, response, "read")
        return response

    def RegisterResourceOutputs(self, request):
        with self._lock:
            self.component_outputs[request.urn] = request.outputs
        return super().RegisterResourceOutputs(request)


# ---------------------------------------------------------------------- config
def _config_value(value: Any) -> tuple[str, bool]:
    """Stack-file value → (string as the Pulumi CLI passes it, is_secret)."""
    if isinstance(value, SecretValue):
        return value.value, True
    if isinstance(value, bool):
        return ("true" if value else "false"), False
    if isinstance(value, (int, float)):
        return str(value), False
    if isinstance(value, str):
        return value, False
    return json.dumps(value, sort_keys=True), False


def _flatten_config(config: Mapping[str, object], project: str) -> tuple[dict[str, str], list[str]]:
    flat: dict[str, str] = {}
    secrets: list[str] = []
    for key, value in config.items():
        full = key if ":" in key else f"{project}:{key}"
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            flat[full], is_secret = PULUMI_SECURE + full.split(":", 1)[1], True
        else:
            flat[full], is_secret = _config_value(value)
        if is_secret:
            secrets.append(full)
    return flat, secrets


# ---------------------------------------------------------------------- run
_RUN_LOCK = threading.Lock()


_DRAIN_TIMEOUT_S = 5.0  # upper bound for cancelled tasks to unwind (they normally take one loop turn)


def _pending_tasks() -> tuple[asyncio.AbstractEventLoop, set[asyncio.Future]]:
    """The runtime's leftovers: the Output tasks in ``SETTINGS.outputs``, the RPCs still in the
    RPC manager and, when the event loop is idle, every other unfinished task on it (resource
    registrations a failed program started). Clears the two SDK collections."""
    with settings.SETTINGS.lock:
        outputs = set(settings.SETTINGS.outputs or ())
        settings.SETTINGS.outputs.clear()
    manager = settings.SETTINGS.rpc_manager
    rpcs = {r for r in (manager.rpcs if manager else ()) if asyncio.isfuture(r)}
    if manager:
        manager.clear()  # also forgets the first unhandled RPC exception
    tasks = outputs | rpcs
    loop = _ensure_event_loop()  # the loop _sync_await runs the programs on
    if not loop.is_running():
        tasks |= asyncio.all_tasks(loop)
    return loop, tasks


async def _drain(tasks: set[asyncio.Future]) -> None:
    await asyncio.wait(tasks, timeout=_DRAIN_TIMEOUT_S)


def _reset_runtime() -> None:
    """Make the next run start clean: cancel and clear everything a run left pending, then
    forget the root stack resource and the config.

    A program that fails (e.g. an ``apply`` raising a contract violation) leaves Output tasks in
    the Pulumi SDK's process-global ``SETTINGS.outputs`` (``Output._track`` keeps failed and
    unfinished tasks "to pick up at program exit"); ``wait_for_rpcs`` of the next
    ``run_pulumi_func`` would await them and re-raise the old failure. Here they (and pending
    RPCs, and any other unfinished task of the idle event loop) are cancelled, given up to
    ``_DRAIN_TIMEOUT_S`` seconds to unwind, and their exceptions are retrieved so asyncio does
    not log "exception was never retrieved". Source: ``pulumi/output.py`` ``_track`` and
    ``pulumi/runtime/stack.py`` ``wait_for_rpcs`` (pulumi 3.x Python SDK).
    """
    loop, tasks = _pending_tasks()
    if tasks:
        for task in tasks:
            task.cancel()  # no-op for finished tasks
        if not loop.is_closed():
            unfinished = {t for t in tasks if not t.done() and t.get_loop() is loop}
            if unfinished:
                _sync_await(_drain(unfinished))
        for task in tasks:
            if task.done() and not task.cancelled():
                task.exception()  # mark retrieved; the failure was already raised to the caller
    settings.ROOT.set(None)
    _config.set_all_config({}, [])


# The futures a failed program leaves behind hold the exception run_stack raised to its caller;
# once the reset drops them, asyncio would log each one as "exception was never retrieved" (with
# the program's traceback) when it is garbage collected, maybe much later. run_stack marks the
# exception it raises with this attribute and the loop's handler skips those reports.
_RAISED_MARK = "_somastack_plan_raised"


def _mark_raised(exc: BaseException) -> None:
    try:
        setattr(exc, _RAISED_MARK, True)
    except (AttributeError, TypeError):  # an exception type without a __dict__: reported as usual
        pass


def _exception_filter(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """Event-loop exception handler: drop the "never retrieved" report of an exception that
    run_stack already raised to its caller; pass everything else to the default handler."""
    exc = context.get("exception")
    if getattr(exc, _RAISED_MARK, False) and "never retrieved" in context.get("message", ""):
        return
    loop.default_exception_handler(context)


def _install_exception_filter() -> None:
    loop = _ensure_event_loop()
    if loop.get_exception_handler() is None:
        loop.set_exception_handler(_exception_filter)


def run_stack(stack_name: str, config: Mapping[str, object], program: Callable[[], None], *,
              project: str = "somastack", mocks: pulumi.runtime.Mocks | None = None) -> CapturedPlan:
    """Run ``program`` offline under the mock runtime and return a :class:`CapturedPlan`.

    See the module docstring for ``config`` conversion, what is captured and the reset.
    Raises whatever ``program`` raises (after resetting the runtime). Runs are serialized
    by a process-wide lock (the Pulumi runtime's settings are process-global).
    """
    mocks = mocks or SomaStackMocks()
    flat, secret_keys = _flatten_config(config, project)
    with _RUN_LOCK:
        monitor = _CapturingMonitor(mocks)
        _reset_runtime()
        try:
            _install_exception_filter()
            _config.set_all_config(flat, secret_keys)
            pulumi.runtime.set_mocks(mocks, project=project, stack=stack_name, preview=False, monitor=monitor)
            root = settings.get_root_resource()
            _sync_await(run_pulumi_func(program))
            exports = dict(getattr(root, "outputs", {}) or {})
            struct = _sync_await(rpc.serialize_properties(exports, {})) if exports else struct_pb2.Struct()
        except BaseException as exc:
            _mark_raised(exc)
            raise
        finally:
            _reset_runtime()
        stack_outputs = _decode(struct, masked=True)
        raw_stack_outputs = _decode(struct, masked=False)
        resources = _build_resources(monitor)
        return CapturedPlan(stack=stack_name, project=project, stack_urn=monitor.stack_urn,
                            resources=resources, stack_outputs=stack_outputs, raw_stack_outputs=raw_stack_outputs)


def _build_resources(monitor: _CapturingMonitor) -> tuple[CapturedResource, ...]:
    records = monitor.records
    names = {urn: (rec["name"], rec["type"]) for urn, rec in records.items()}
    if monitor.stack_urn:
        names[monitor.stack_urn] = (monitor.stack_urn.rsplit("::", 1)[-1], STACK_TYPE)
    built: dict[str, CapturedResource] = {}
    for urn, rec in records.items():
        inputs_struct = rec["inputs"] or struct_pb2.Struct()
        outputs_struct = rec["outputs"]
        if not rec["custom"] and urn in monitor.component_outputs:
            outputs_struct = monitor.component_outputs[urn]
        parent = rec["parent"]
        pname, ptype = names.get(parent, (parent.rsplit("::", 1)[-1], None)) if parent else (None, None)
        built[urn] = CapturedResource(
            urn=urn, type=rec["type"], name=rec["name"], parent=parent, parent_name=pname, parent_type=ptype,
            custom=rec["custom"], id=rec["id"] or None, provider=rec["provider"],
            dependencies=tuple(sorted(set(rec["dependencies"]))), ignore_changes=rec["ignore_changes"],
            inputs=_decode(inputs_struct, masked=True),
            outputs=_decode(outputs_struct, masked=True) if outputs_struct is not None else {},
            secret_inputs=_secret_keys(inputs_struct),
            props=_decode(inputs_struct, masked=False),
        )
    # Deterministic tree order: depth-first from the stack, siblings by (type, name, urn).
    kids: dict[str | None, list[str]] = {}
    for urn, res in built.items():
        parent = res.parent if res.parent in built else None
        kids.setdefault(parent, []).append(urn)
    order: list[CapturedResource] = []

    def visit(parent: str | None) -> None:
        for urn in sorted(kids.get(parent, []), key=lambda u: (built[u].type, built[u].name, u)):
            order.append(built[urn])
            visit(urn)

    visit(None)
    return tuple(order)
