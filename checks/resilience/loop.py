"""The cycles: down, confirm down, up, wait until every probe passes, read back the ledger.

Timings per cycle (seconds, ``time.monotonic``):

- ``stop_s``: how long the target's stop call took (for the harness: stop signal until the
  process group is gone, SIGKILL with ``--hard``);
- ``down_s``: from the stop request until the cycler says no process/task/pod runs *and*
  every probe fails;
- ``up_s``: how long the target's own start took (the cycler's ``bring_up`` returning: for
  the harness, the services' restart up to their own readiness);
- ``time_to_healthy_s``: from the start request until every probe passed (the loop polls with
  50→100 ms backoff while the target starts, so it notices readiness within about 100 ms plus
  one probe round);
- ``ledger_s``: reading back every ledger entry.

A cycle ends as soon as the target's bring-up reports a failure (for the harness: a server
process exited; the failure names the service, the exit reason with the server's last log
line, and the log path) instead of waiting out ``cycle_deadline_s``.

The ledger entries are removed when the run ends (``keep_ledger`` keeps them;
``ResilienceReport.ledger_cleanup`` lists what was removed and what was left, and why).

Verdicts per service per cycle: INTACT, MISSING, CHANGED, UNREADABLE (the service did not
answer the read), and for a service without durable storage ``LOST (no durable storage)``.
A MISSING/CHANGED entry is data loss and fails the run, naming the service; Redis without
AOF/RDB losing its key is data loss *explained* by its configuration; OPA's in-memory data
API losing its document is reported as such and does not fail the run (its state comes from
bundles/policy files by design). Source: seed 002 §5.3 ("10-Cycle Resiliency (Rule 122)").
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

from somastack_deploy.config_contract.topology import Topology

from somastack_deploy.checks import runner
from somastack_deploy.checks.probes.base import ProbeContext

from . import ledger as L
from .cyclers.base import Cycler, CyclerError

JSON_VERSION = 1
LOST_NOT_DURABLE = "LOST (no durable storage)"


@dataclass
class CycleResult:
    """One cycle. ``data``: ``{service: {"verdict": ..., "detail": ...}}``; ``failures``:
    one-line reasons this cycle failed (empty: passed)."""

    n: int
    stop_s: float | None = None
    down_s: float | None = None
    up_s: float | None = None
    time_to_healthy_s: float | None = None
    ledger_s: float | None = None
    cycle_s: float | None = None
    healthy: bool = False
    data: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    data_loss: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.healthy and not self.failures and not self.data_loss


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


@dataclass
class ResilienceReport:
    """The whole run (JSON version 1, see :meth:`to_json`)."""

    stack: str
    cycler: str
    hard: bool
    services: list[str]
    cycles: list[CycleResult] = field(default_factory=list)
    durability: dict = field(default_factory=dict)
    ledger: list[L.LedgerEntry] = field(default_factory=list)
    setup_failures: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    #: What happened to the ledger entries at the end: ``{"kept": bool, "removed":
    #: [location], "left": [{"service", "location", "reason"}]}`` (empty before the end).
    ledger_cleanup: dict = field(default_factory=dict)

    @property
    def data_loss(self) -> list[str]:
        return [f"cycle {c.n}: {x}" for c in self.cycles for x in c.data_loss]

    @property
    def passed(self) -> bool:
        return not self.setup_failures and bool(self.cycles) and all(c.passed for c in self.cycles)

    def recovery(self) -> dict:
        """p50/p95/max of ``time_to_healthy_s`` over the cycles that recovered (seconds)."""
        vals = [c.time_to_healthy_s for c in self.cycles if c.time_to_healthy_s is not None and c.healthy]
        return {"p50_s": _pct(vals, 50), "p95_s": _pct(vals, 95), "max_s": max(vals) if vals else None,
                "recovered": len(vals), "cycles": len(self.cycles)}

    def to_json(self) -> dict:
        return {"version": JSON_VERSION, "stack": self.stack, "cycler": self.cycler, "hard": self.hard,
                "services": self.services, "passed": self.passed, "wall_s": round(self.wall_s, 3),
                "setup_failures": self.setup_failures, "durability": self.durability,
                "ledger": [e.to_json() for e in self.ledger], "recovery": self.recovery(),
                "data_loss": self.data_loss, "ledger_cleanup": self.ledger_cleanup,
                "cycles": [{**asdict(c), "passed": c.passed} for c in self.cycles]}


class _Progress:
    """A rich progress bar per cycle on stderr (no-op when disabled)."""

    STEPS = ("down", "confirm down", "up", "healthy", "ledger")

    def __init__(self, enabled: bool):
        self.p = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.p = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[step]}"),
                              TimeElapsedColumn(), console=Console(stderr=True), transient=False)
            self.p.start()
        self.task = None

    def cycle(self, n: int, total: int):
        if self.p:
            self.task = self.p.add_task(f"cycle {n}/{total}", total=len(self.STEPS), step="")

    def step(self, name: str, done: bool = True):
        if self.p and self.task is not None:
            self.p.update(self.task, step=name, advance=1 if done else 0)

    def stop(self):
        if self.p:
            self.p.stop()


class _BringUpFailed(Exception):
    """Raised inside the probes' wait when the bring-up thread has reported a failure."""


def _contexts(topology: Topology, services: list[str], timeout_s: float) -> dict[str, ProbeContext]:
    return {s: ProbeContext(s, topology.services[s], topology, timeout_s) for s in services}


def write_ledger(topology: Topology, services: list[str], run_id: str, timeout_s: float
                 ) -> tuple[list[L.LedgerEntry], dict, list[str]]:
    """Write one entry per stateful service; returns ``(entries, durability, failures)``."""
    from somastack_deploy.checks.probes.classify import classify

    entries, durability, failures = [], {}, []
    ctxs = _contexts(topology, services, timeout_s)
    for s in services:
        store = L.STORES.get(s)
        if store is None:
            continue
        try:
            d = store.durability(ctxs[s])
            durability[s] = {"durable": d.durable, "note": d.note}
            entries.append(store.write(ctxs[s], run_id, L.new_payload(run_id, s)))
        except Exception as exc:  # noqa: BLE001
            cat, detail = classify(exc)
            failures.append(f"{s}: cannot write the ledger entry: {cat}: {detail}")
    return entries, durability, failures


def remove_ledger(topology: Topology, entries: list[L.LedgerEntry], timeout_s: float) -> dict:
    """Delete every ledger entry (:meth:`ledger.Store.delete`); returns the report's
    ``ledger_cleanup``: ``{"kept": False, "removed": [location], "left": [{"service",
    "location", "reason"}]}``. Never raises: an entry that cannot be removed is listed."""
    from somastack_deploy.checks.probes.classify import classify

    out: dict = {"kept": False, "removed": [], "left": []}
    for entry in entries:
        try:
            ctx = ProbeContext(entry.service, topology.services[entry.service], topology, timeout_s)
            L.STORES[entry.service].delete(ctx, entry)
            out["removed"].append(entry.location)
        except Exception as exc:  # noqa: BLE001 - listed in the report
            cat, detail = classify(exc)
            out["left"].append({"service": entry.service, "location": entry.location, "reason": f"{cat}: {detail}"})
    return out


def run_cycles(topology: Topology, cycler: Cycler, *, cycles: int = 10, hard: bool = False,
               cycle_deadline_s: float = 300.0, probe_timeout_s: float = 10.0, services: list[str] | None = None,
               progress: bool = True, clock: Callable[[], float] = time.monotonic,
               keep_ledger: bool = False) -> ResilienceReport:
    """Run ``cycles`` down/up cycles of ``cycler`` over the services of ``topology`` (or
    ``services``) and return the report. ``cycle_deadline_s`` bounds one cycle's down and
    recovery (seconds); ``probe_timeout_s`` bounds each probe. The ledger entries written
    before the cycles are removed at the end unless ``keep_ledger`` (the report's
    ``ledger_cleanup`` says what was removed or left). Never raises for a service's failure:
    everything ends up in the report."""
    services = sorted(services if services is not None else topology.services)
    rep = ResilienceReport(topology.stack, cycler.describe(), hard, services)
    t_start = clock()
    pre = runner.run(topology, timeout_s=probe_timeout_s, wait_s=min(60.0, cycle_deadline_s), services=services,
                     include_required=False)
    if not pre.healthy:
        rep.setup_failures = [f"not healthy before cycling: {r.service}: {r.reason}" for r in pre.failed()]
        rep.wall_s = clock() - t_start
        return rep
    run_id = L.new_run_id()
    rep.ledger, rep.durability, rep.setup_failures = write_ledger(topology, services, run_id, probe_timeout_s)
    cycling = not rep.setup_failures  # a ledger entry that could not be written: no cycles
    bar = _Progress(progress and cycling)
    try:
        for n in range(1, cycles + 1 if cycling else 1):
            bar.cycle(n, cycles)
            rep.cycles.append(_one_cycle(n, topology, cycler, rep, run_id, hard=hard, deadline_s=cycle_deadline_s,
                                         probe_timeout_s=probe_timeout_s, bar=bar, clock=clock))
    finally:
        bar.stop()
        if keep_ledger:
            rep.ledger_cleanup = {"kept": True, "removed": [], "left": []}
        else:
            rep.ledger_cleanup = remove_ledger(topology, rep.ledger, probe_timeout_s)
    rep.wall_s = clock() - t_start
    return rep


def _one_cycle(n, topology, cycler, rep, run_id, *, hard, deadline_s, probe_timeout_s, bar, clock) -> CycleResult:
    c = CycleResult(n)
    t0 = clock()
    try:
        _cycle_steps(c, topology, cycler, rep, run_id, t0, hard=hard, deadline_s=deadline_s,
                     probe_timeout_s=probe_timeout_s, bar=bar, clock=clock)
    except Exception as err:  # noqa: BLE001 - a bug must not leave the stack down
        c.failures.append(f"internal error: {type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}")
        try:
            cycler.bring_up()
        except Exception as up_err:  # noqa: BLE001
            c.failures.append(f"bring up after the error failed: {type(up_err).__name__}")
    finally:
        c.cycle_s = clock() - t0
    return c


def _cycle_steps(c, topology, cycler, rep, run_id, t0, *, hard, deadline_s, probe_timeout_s, bar, clock) -> None:
    services = rep.services
    deadline = t0 + deadline_s
    try:
        cycler.take_down(hard=hard)
    except CyclerError as err:
        c.failures.append(f"take down: {err}")
        return
    c.stop_s = clock() - t0
    bar.step("down")
    while not cycler.is_down():
        if clock() > deadline:
            c.failures.append(f"still running {deadline_s:g}s after the stop request")
            return
        time.sleep(0.05)
    answering = [r.service for r in runner.run_once(topology, timeout_s=min(2.0, probe_timeout_s), services=services,
                                                    include_required=False).results if r.status == "PASSED"]
    if answering:
        c.failures.append(f"still answering after down: {', '.join(sorted(set(answering)))}")
    c.down_s = clock() - t0
    bar.step("confirm down")
    t1 = clock()
    up_error: list[str] = []
    up_done: dict = {}
    up_failed = threading.Event()

    def _up():
        try:
            cycler.bring_up()
        except CyclerError as err:
            up_error.append(str(err))
        except Exception as err:  # noqa: BLE001 - report, never crash the loop
            up_error.append(f"{type(err).__name__}: {err}")
        up_done["t"] = clock()
        if up_error:
            up_failed.set()

    def _sleep_unless_up_failed(seconds: float) -> None:
        # The probes' backoff sleep; ends the wait as soon as the bring-up reports a failure
        # (a process that exited, with its reason and log), instead of waiting out the deadline.
        if up_failed.wait(seconds):
            raise _BringUpFailed

    th = threading.Thread(target=_up, name=f"bring-up-{c.n}", daemon=True)
    th.start()
    try:
        probes = runner.run(topology, timeout_s=probe_timeout_s, wait_s=max(0.1, deadline - clock()),
                            services=services, include_required=False, max_backoff_s=0.1,
                            sleep=_sleep_unless_up_failed)
    except _BringUpFailed:
        probes = None
    if probes is not None and probes.healthy:
        c.time_to_healthy_s = clock() - t1
        c.healthy = True
    bar.step("up")
    th.join(max(0.0, deadline - clock()) if probes is not None else 0.0)
    if "t" in up_done:
        c.up_s = up_done["t"] - t1
    else:
        c.failures.append(f"the target did not finish starting within {deadline_s:g}s")
    c.failures.extend(f"bring up: {e}" for e in up_error)
    if probes is None:
        c.failures.append(f"stopped waiting for health {clock() - t1:.1f}s after the start request: the bring-up failed")
        return
    if not probes.healthy:
        c.failures.extend(f"not healthy within {deadline_s:g}s: {r.service}: {r.reason}" for r in probes.failed())
        return
    final = runner.run_once(topology, timeout_s=probe_timeout_s, services=services, include_required=False)
    if not final.healthy:
        c.failures.extend(f"probe after recovery: {r.service}: {r.reason}" for r in final.failed())
    bar.step("healthy")
    t2 = clock()
    ctxs = _contexts(topology, services, probe_timeout_s)
    for i, entry in enumerate(rep.ledger):
        store = L.STORES[entry.service]
        verdict, detail = L.verdict(store, ctxs[entry.service], entry)
        # every entry's service has its durability: write_ledger reads it before the write
        durable, note = rep.durability[entry.service]["durable"], rep.durability[entry.service]["note"]
        if verdict in (L.VERDICT_MISSING, L.VERDICT_CHANGED) and durable is False:
            c.data[entry.service] = {"verdict": LOST_NOT_DURABLE, "detail": f"{detail}; {note}"}
            if entry.service not in L.EPHEMERAL_BY_DESIGN:
                c.data_loss.append(f"{entry.service}: {detail} (no durable storage configured: {note})")
            try:  # write it again so that the next cycle checks again
                rep.ledger[i] = store.write(ctxs[entry.service], run_id, L.new_payload(run_id, entry.service))
            except Exception as exc:  # noqa: BLE001
                c.failures.append(f"{entry.service}: cannot rewrite the ledger entry: {exc.__class__.__name__}")
            continue
        c.data[entry.service] = {"verdict": verdict, "detail": detail}
        if verdict in (L.VERDICT_MISSING, L.VERDICT_CHANGED):
            c.data_loss.append(f"{entry.service}: {detail}")
        elif verdict == L.VERDICT_UNREADABLE:
            c.failures.append(f"{entry.service}: ledger unreadable: {detail}")
    c.ledger_s = clock() - t2
    bar.step("ledger")
