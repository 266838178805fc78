"""The resiliency loop and the data ledger without live services.

The only stand-in is the target behind the :class:`Cycler` interface: :class:`Target` is one
service ("brain") that goes down and up on request and keeps its ledger entries on a "disk"
the test can wipe, corrupt or make unreadable between cycles. The ledger store for it
(:class:`TargetStore`, a :class:`ledger.Store`) and the readiness probe read that target, so
the loop's own code — probes runner, ledger verdicts, data-loss accounting, timings, report —
runs unchanged. Verdicts covered: INTACT, CHANGED, MISSING, UNREADABLE, LOST (no durable
storage) with and without "ephemeral by design", every cycle failure the loop names, and the
removal of the ledger entries at the end (removed, kept, left with the reason).
"""

from __future__ import annotations

import json
import re
import threading
import time

import pytest

from somastack_deploy.checks.probes import base as probes_base
from somastack_deploy.checks.probes.base import ProbeContext, ProbeSpec
from somastack_deploy.checks.resilience import ledger as L
from somastack_deploy.checks.resilience import loop, report
from somastack_deploy.checks.resilience.cyclers.base import Cycler, CyclerError
from somastack_deploy.config_contract.topology import Dimensions, Endpoint, Service, Topology

KEY = "brain"  # a topology key without probes of its own: the test registers the target's probe


OTHER = "memory"  # a second probe-less key, for stacks where only some services are cycled


def _topology(storage: dict | None = None, other: bool = False) -> Topology:
    services = {KEY: Service(plane="cognitive", engine="fake", endpoints=[
        Endpoint(protocol="tcp", host="127.0.0.1", port=9)], storage=storage or {})}
    if other:
        services[OTHER] = Service(plane="memory", engine="fake", endpoints=[
            Endpoint(protocol="tcp", host="127.0.0.1", port=9)])
    return Topology(stack="pure", dimensions=Dimensions(software_mode="SomaStackClusterMode", environment="DEV",
                                                       saas_bridge=False, target="LOCAL"), services=services)


class Target(Cycler):
    """A fake target: ``up`` state, a ``disk`` of entries; hooks run on take down / bring up."""

    name = "fake"

    def __init__(self):
        self.up = True
        self.disk: dict[str, bytes] = {}
        self.calls: list = []
        self.on_down = None          # callable(target, cycle) run after the stop
        self.on_up = None            # callable(target, cycle) run after the start
        self.fail_down: str | None = None
        self.fail_up: str | None = None
        self.up_raises: Exception | None = None
        self.never_down = False      # is_down() stays False
        self.stays_down = False      # bring_up() returns but the service never answers
        self.answers_when_down = False
        self.read_error: Exception | None = None
        self.write_error: Exception | None = None
        self.is_down_error: Exception | None = None
        self.delete_error: Exception | None = None
        self.up_return_delay_s = 0.0  # bring_up() returns this long after the service answers
        self.script: list[str] = []  # what the next probes see while up: "ok", "refuse", "hang"
        self.hang_s = 2.0
        self.up_threads: list[tuple[str, bool]] = []  # (name, daemon) of the thread calling bring_up
        self.up_delay_s = 0.0
        self.cycle = 0

    def take_down(self, *, hard: bool = False) -> None:
        self.cycle += 1
        self.calls.append(("down", hard))
        if self.fail_down:
            raise CyclerError(self.fail_down)
        self.up = False
        if self.on_down:
            self.on_down(self, self.cycle)

    def is_down(self) -> bool:
        if self.is_down_error:
            raise self.is_down_error
        return not self.up and not self.never_down

    def bring_up(self) -> None:
        self.calls.append("up")
        me = threading.current_thread()
        self.up_threads.append((me.name, me.daemon))
        if self.up_delay_s:
            time.sleep(self.up_delay_s)
        if self.up_raises:
            raise self.up_raises
        if self.fail_up:
            raise CyclerError(self.fail_up)
        if not self.stays_down:
            self.up = True
        if self.on_up:
            self.on_up(self, self.cycle)
        if self.up_return_delay_s:
            time.sleep(self.up_return_delay_s)

    def describe(self) -> str:
        return "fake target"


class TargetStore(L.Store):
    """The ledger store of the fake target: entries on its disk. Like the real stores it
    "connects" through the context it is given (the service's endpoint, the probe timeout);
    ``connections`` records ``(operation, stack, service key, host:port, timeout_s)``."""

    service = KEY

    def __init__(self, target: Target, durable: bool | None = True, note: str = "fake disk", service: str = KEY):
        self.t, self.durable, self.note, self.service = target, durable, note, service
        self.writes = 0
        self.payloads: list[bytes] = []
        self.connections: list[tuple] = []

    def _connect(self, op, ctx):
        e = ctx.endpoint("tcp")
        self.connections.append((op, ctx.topology.stack, ctx.service_key, f"{e.host}:{e.port}", ctx.timeout_s))

    def write(self, ctx, run_id, payload):
        self._connect("write", ctx)
        if self.t.write_error:
            raise self.t.write_error
        self.writes += 1
        self.payloads.append(payload)
        key = f"{run_id}-{self.writes}" if self.service == KEY else f"{self.service}:{run_id}-{self.writes}"
        self.t.disk[key] = payload
        return L.LedgerEntry(self.service, f"fake key {key}", L.sha256(payload), {"key": key})

    def read(self, ctx, entry):
        self._connect("read", ctx)
        if self.t.read_error:
            raise self.t.read_error
        return self.t.disk.get(entry.ref["key"])

    def delete(self, ctx, entry):
        self._connect("delete", ctx)
        if self.t.delete_error:
            raise self.t.delete_error
        self.t.disk.pop(entry.ref["key"], None)

    def durability(self, ctx):
        self._connect("durability", ctx)
        return L.Durability(self.durable, self.note)


@pytest.fixture
def target(monkeypatch):
    """A Target, its store registered for KEY, and a probe for KEY that answers while it is up."""
    t = Target()

    def probe(ctx):
        if t.up and t.script:
            action = t.script.pop(0)
            if action == "hang":
                time.sleep(t.hang_s)
            elif action == "refuse":
                raise ConnectionRefusedError(111, "Connection refused")
            return "answering"
        if t.up or t.answers_when_down:
            return "answering"
        raise ConnectionRefusedError(111, "Connection refused")

    spec = ProbeSpec("probe.test.fake_target", KEY, "fake target answers", probe)
    monkeypatch.setitem(probes_base.REGISTRY, KEY, [spec])
    monkeypatch.setattr(probes_base, "_MODULES", {k: v for k, v in probes_base._MODULES.items() if k != KEY})
    monkeypatch.setitem(L.STORES, KEY, TargetStore(t))
    return t


def _run(target, cycles=2, deadline=3.0, **kw):
    return loop.run_cycles(_topology(), target, cycles=cycles, cycle_deadline_s=deadline, probe_timeout_s=1.0,
                           progress=False, **kw)


# --------------------------------------------------------------------------- the loop
def test_intact_cycles_pass_with_timings_and_a_complete_report(target):
    rep = _run(target, cycles=3, hard=True)
    assert rep.passed and rep.setup_failures == [] and rep.data_loss == []
    assert [c.n for c in rep.cycles] == [1, 2, 3]
    assert target.calls == [("down", True), "up"] * 3
    for c in rep.cycles:
        assert c.passed and c.healthy and c.failures == [] and c.data_loss == []
        assert c.data == {KEY: {"verdict": "INTACT", "detail": rep.ledger[0].location}}
        for t in (c.stop_s, c.down_s, c.up_s, c.time_to_healthy_s, c.ledger_s, c.cycle_s):
            assert t is not None and 0 <= t < 3.0
        assert c.stop_s <= c.down_s <= c.cycle_s
    assert len(rep.ledger) == 1 and rep.ledger[0].service == KEY
    assert rep.durability == {KEY: {"durable": True, "note": "fake disk"}}
    doc = rep.to_json()
    assert doc["version"] == loop.JSON_VERSION and doc["passed"] is True and doc["cycler"] == "fake target"
    assert doc["hard"] is True and doc["services"] == [KEY] and doc["stack"] == "pure"
    assert doc["recovery"]["recovered"] == 3 and doc["recovery"]["cycles"] == 3
    assert doc["recovery"]["p50_s"] <= doc["recovery"]["p95_s"] <= doc["recovery"]["max_s"]
    assert all(c["passed"] for c in doc["cycles"]) and json.dumps(doc)
    assert "PASSED" in report.to_text(rep)


def test_changed_entry_is_data_loss_naming_the_service(target):
    def corrupt(t, cycle):
        if cycle == 2:
            for k in t.disk:
                t.disk[k] = t.disk[k] + b"!"

    target.on_up = corrupt
    rep = _run(target, cycles=3)
    c1, c2, c3 = rep.cycles
    assert c1.data[KEY]["verdict"] == "INTACT" and c1.passed
    assert c2.data[KEY]["verdict"] == L.VERDICT_CHANGED and not c2.passed and c2.healthy
    assert c2.data_loss == [f"{KEY}: {c2.data[KEY]['detail']}"]
    assert "sha256" in c2.data[KEY]["detail"] and "!=" in c2.data[KEY]["detail"]
    assert c3.data[KEY]["verdict"] == L.VERDICT_CHANGED  # the entry is not rewritten for durable storage
    assert not rep.passed and rep.data_loss[0].startswith(f"cycle 2: {KEY}: ")
    assert f"DATA LOSS: cycle 2: {KEY}" in report.to_text(rep)


def test_missing_entry_is_data_loss(target):
    target.on_down = lambda t, cycle: t.disk.clear()
    rep = _run(target, cycles=1)
    (c,) = rep.cycles
    assert c.data[KEY] == {"verdict": L.VERDICT_MISSING, "detail": f"{rep.ledger[0].location} is gone"}
    assert c.data_loss == [f"{KEY}: {rep.ledger[0].location} is gone"] and c.failures == []
    assert not rep.passed


def test_unreadable_entry_is_a_failure_not_data_loss(target):
    def break_reads(t, cycle):
        t.read_error = ConnectionRefusedError(111, "Connection refused")

    target.on_up = break_reads
    rep = _run(target, cycles=1)
    (c,) = rep.cycles
    assert c.data[KEY]["verdict"] == L.VERDICT_UNREADABLE and c.data[KEY]["detail"].startswith("refused: ")
    assert c.data_loss == [] and c.failures == [f"{KEY}: ledger unreadable: {c.data[KEY]['detail']}"]
    assert not c.passed and not rep.passed


def test_lost_without_durable_storage_is_named_and_the_entry_rewritten(target, monkeypatch):
    monkeypatch.setitem(L.STORES, KEY, TargetStore(target, durable=False, note="AOF off, RDB off"))
    target.on_down = lambda t, cycle: t.disk.clear()
    rep = _run(target, cycles=2)
    assert rep.durability[KEY] == {"durable": False, "note": "AOF off, RDB off"}
    for c in rep.cycles:
        assert c.data[KEY]["verdict"] == loop.LOST_NOT_DURABLE
        assert c.data[KEY]["detail"].endswith("is gone; AOF off, RDB off")
        assert c.data_loss == [f"{KEY}: {c.data[KEY]['detail'].split(';')[0]} (no durable storage configured: "
                               "AOF off, RDB off)"]
    # rewritten after each loss, so the second cycle checked a fresh entry
    first, second = (c.data[KEY]["detail"].split()[2] for c in rep.cycles)
    assert first != second and rep.ledger[0].ref["key"] not in (first, second)
    assert L.STORES[KEY].writes == 3
    run_id = first.split("-")[0]
    assert len(run_id) == 24 and second.startswith(run_id + "-") and rep.ledger[0].ref["key"].startswith(run_id + "-")
    payloads = L.STORES[KEY].payloads
    assert len(payloads) == 3 and len(set(payloads)) == 3
    assert all(p.startswith(f"somastack-ledger {run_id} {KEY} ".encode()) for p in payloads)
    assert not rep.passed


def test_lost_ephemeral_by_design_is_reported_not_counted(target, monkeypatch):
    monkeypatch.setitem(L.STORES, KEY, TargetStore(target, durable=False, note="in-memory data API"))
    monkeypatch.setattr(L, "EPHEMERAL_BY_DESIGN", frozenset({KEY}))
    target.on_down = lambda t, cycle: t.disk.clear()
    rep = _run(target, cycles=1)
    (c,) = rep.cycles
    assert c.data[KEY]["verdict"] == loop.LOST_NOT_DURABLE and c.data_loss == [] and c.passed
    assert rep.passed


def test_durable_unknown_losing_data_is_data_loss(target, monkeypatch):
    monkeypatch.setitem(L.STORES, KEY, TargetStore(target, durable=None, note="not stated"))
    target.on_down = lambda t, cycle: t.disk.clear()
    rep = _run(target, cycles=1)
    assert rep.cycles[0].data[KEY]["verdict"] == L.VERDICT_MISSING and rep.cycles[0].data_loss


def test_rewrite_failure_after_a_loss_is_a_failure(target, monkeypatch):
    monkeypatch.setitem(L.STORES, KEY, TargetStore(target, durable=False, note="n"))

    def lose_and_break(t, cycle):
        t.disk.clear()
        t.write_error = OSError("disk full")

    target.on_down = lose_and_break
    rep = _run(target, cycles=1)
    assert rep.cycles[0].failures == [f"{KEY}: cannot rewrite the ledger entry: OSError"]


def test_take_down_refused(target):
    target.fail_down = "brain: refused to stop"
    rep = _run(target, cycles=1)
    (c,) = rep.cycles
    assert c.failures == ["take down: brain: refused to stop"] and not c.healthy and c.stop_s is None
    assert target.calls == [("down", False)] and not rep.passed


def test_never_down_within_the_deadline(target):
    target.never_down = True
    rep = _run(target, cycles=1, deadline=0.5)
    (c,) = rep.cycles
    assert c.failures == ["still running 0.5s after the stop request"] and c.down_s is None
    assert not rep.passed


def test_still_answering_after_down(target):
    target.answers_when_down = True
    rep = _run(target, cycles=1)
    (c,) = rep.cycles
    assert c.failures == [f"still answering after down: {KEY}"] and c.healthy and not c.passed


def test_bring_up_refused_is_named(target):
    target.fail_up = "brain: no start"
    rep = _run(target, cycles=1, deadline=1.0)
    (c,) = rep.cycles
    assert "bring up: brain: no start" in c.failures
    assert any(f.startswith("stopped waiting for health") and f.endswith("the bring-up failed") for f in c.failures)
    assert not c.healthy and c.time_to_healthy_s is None and c.ledger_s is None


def test_bring_up_crash_is_reported_with_its_type(target):
    target.up_raises = RuntimeError("boom")
    rep = _run(target, cycles=1, deadline=1.0)
    assert "bring up: RuntimeError: boom" in rep.cycles[0].failures


def test_not_healthy_within_the_deadline(target):
    target.stays_down = True
    rep = _run(target, cycles=1, deadline=1.0)
    (c,) = rep.cycles
    assert c.up_s is not None and not c.healthy
    assert c.failures == [f"not healthy within 1s: {KEY}: refused: [Errno 111] Connection refused"]
    assert rep.recovery()["recovered"] == 0 and rep.recovery()["p50_s"] is None


def test_internal_error_brings_the_target_up_again(target):
    target.is_down_error = ValueError("bad state\nsecond line")
    rep = _run(target, cycles=1)
    (c,) = rep.cycles
    assert c.failures == ["internal error: ValueError: bad state"] and c.cycle_s is not None
    assert target.calls == [("down", False), "up"] and target.up


def test_internal_error_and_failed_bring_up(target):
    target.is_down_error = ValueError("")
    target.up_raises = CyclerError("still broken")
    rep = _run(target, cycles=1)
    assert rep.cycles[0].failures == ["internal error: ValueError: ", "bring up after the error failed: CyclerError"]


def test_not_healthy_before_cycling_is_a_setup_failure(target):
    target.up = False
    rep = loop.run_cycles(_topology(), target, cycles=2, cycle_deadline_s=0.3, probe_timeout_s=0.5, progress=False)
    assert rep.cycles == [] and not rep.passed and target.calls == []
    assert rep.setup_failures == [f"not healthy before cycling: {KEY}: refused: [Errno 111] Connection refused"]
    assert rep.wall_s > 0


def test_ledger_write_failure_is_a_setup_failure(target):
    target.write_error = ConnectionRefusedError(111, "Connection refused")
    rep = _run(target, cycles=2)
    assert rep.cycles == [] and not rep.passed and target.calls == []
    assert rep.setup_failures == [f"{KEY}: cannot write the ledger entry: refused: [Errno 111] Connection refused"]


def test_zero_cycles_never_pass(target):
    rep = _run(target, cycles=0)
    assert rep.cycles == [] and rep.setup_failures == [] and not rep.passed


def test_percentiles():
    assert loop._pct([], 50) is None
    assert loop._pct([2.0], 95) == 2.0
    vals = [float(i) for i in range(1, 101)]
    assert loop._pct(vals, 50) == pytest.approx(50.5) and loop._pct(vals, 95) == pytest.approx(95.05)


# --------------------------------------------------------------------------- the ledger
def _ctx(storage=None):
    topo = _topology(storage)
    return ProbeContext(KEY, topo.services[KEY], topo, 1.0)


def test_verdicts_of_one_entry():
    t = Target()
    store = TargetStore(t)
    entry = store.write(_ctx(), "run", b"payload")
    assert entry.sha256 == L.sha256(b"payload") and len(entry.sha256) == 64
    assert L.verdict(store, _ctx(), entry) == (L.VERDICT_INTACT, entry.location)
    t.disk[entry.ref["key"]] = b"payloaD"
    verdict, detail = L.verdict(store, _ctx(), entry)
    assert verdict == L.VERDICT_CHANGED
    assert detail == f"{entry.location}: sha256 {L.sha256(b'payloaD')[:12]} != {entry.sha256[:12]}"
    del t.disk[entry.ref["key"]]
    assert L.verdict(store, _ctx(), entry) == (L.VERDICT_MISSING, f"{entry.location} is gone")
    t.read_error = TimeoutError("timed out")
    assert L.verdict(store, _ctx(), entry) == (L.VERDICT_UNREADABLE, "timed out: timed out")
    t.read_error = KeyError("x")
    assert L.verdict(store, _ctx(), entry)[0] == L.VERDICT_UNREADABLE


def test_an_empty_payload_read_back_is_not_missing():
    t = Target()
    store = TargetStore(t)
    entry = store.write(_ctx(), "run", b"")
    assert L.verdict(store, _ctx(), entry)[0] == L.VERDICT_INTACT


def test_default_durability_reads_the_topology():
    store = L.Store()
    assert store.durability(_ctx({"durable": True, "aof": True})) == L.Durability(True, "topology storage: aof=True")
    assert store.durability(_ctx({"rdb": False, "durable": True, "aof": True})) == L.Durability(
        True, "topology storage: aof=True, rdb=False")
    assert store.durability(_ctx({"durable": False})) == L.Durability(False, "topology storage: durable=False")
    assert store.durability(_ctx({})) == L.Durability(None, "durability not stated in the topology")
    with pytest.raises(NotImplementedError):
        store.write(_ctx(), "r", b"")
    with pytest.raises(NotImplementedError):
        store.read(_ctx(), L.LedgerEntry(KEY, "x", "0"))


def test_run_ids_payloads_and_dump():
    a, b = L.new_run_id(), L.new_run_id()
    assert a != b and len(a) == 24 and int(a, 16) >= 0
    p1, p2 = L.new_payload(a, "redis"), L.new_payload(a, "redis")
    assert p1 != p2 and p1.startswith(f"somastack-ledger {a} redis ".encode()) and len(p1.split()) == 4
    assert len(p1.split()[3]) == 32 and int(p1.split()[3], 16) >= 0  # 128 random bits, hex
    entry = L.LedgerEntry("redis", "key k", L.sha256(p1), {"key": "k"})
    assert json.loads(L.dump([entry])) == [{"service": "redis", "location": "key k", "sha256": L.sha256(p1),
                                            "ref": {"key": "k"}}]
    assert L.dump([entry]) == json.dumps([entry.to_json()], indent=2)  # indented for people reading it
    assert p1.decode() not in L.dump([entry])
    assert set(L.STORES) >= {"postgres", "redis", "kafka", "milvus", "spicedb", "vault", "opa"}
    assert all(s.service == k for k, s in L.STORES.items() if k != KEY)
    assert L.EPHEMERAL_BY_DESIGN == frozenset({"opa"})


def test_spicedb_and_vault_durability_from_the_topology():
    for memory in ("memory", "inmemory", "in-memory"):
        assert L.SpiceDBStore().durability(_ctx({"datastore": memory})) == L.Durability(False, "in-memory datastore")
    assert L.SpiceDBStore().durability(_ctx({"datastore": "postgres"})) == L.Durability(True, "datastore postgres")
    assert L.SpiceDBStore().durability(_ctx({})) == L.Durability(
        None, "datastore not stated in the topology (storage.datastore)")


def test_spicedb_picks_a_relation_with_a_plain_subject(monkeypatch):
    schema = """
definition user {}
definition group { relation member: user#member | user:* }
definition doc { relation viewer: group#member | user }
"""
    assert L.SpiceDBStore._pick(schema) == ("doc", "viewer", "user")
    from somastack_deploy.checks.probes.base import MISSING, ProbeFailure

    with pytest.raises(ProbeFailure, match="no relation with a plain subject") as err:
        L.SpiceDBStore._pick("definition user {}")
    assert (err.value.category, err.value.detail) == (
        MISSING, "the schema has no relation with a plain subject type to write a ledger entry")


def test_progress_bar_on_stderr(target, capsys):
    rep = loop.run_cycles(_topology(), target, cycles=2, cycle_deadline_s=3.0, probe_timeout_s=1.0, progress=True)
    err = capsys.readouterr().err
    assert rep.passed and "cycle 1/2" in err and "cycle 2/2" in err and "ledger" in err
    # one line per cycle: what, the bar, the last step, the time it took
    lines = err.splitlines()
    assert len(lines) == 2 and all(re.fullmatch(rf"cycle {n}/2 ━+ ledger \d+:\d\d:\d\d", line)
                                   for n, line in zip((1, 2), lines)), lines


def test_progress_steps_in_order():
    bar = loop._Progress(False)
    bar.cycle(1, 3)
    bar.step("down")
    bar.stop()
    assert bar.p is None and bar.task is None and loop._Progress.STEPS == ("down", "confirm down", "up", "healthy",
                                                                          "ledger")


def test_recovery_figures_count_only_recovered_cycles():
    rep = loop.ResilienceReport("s", "c", False, [KEY])
    rep.cycles = [loop.CycleResult(n, time_to_healthy_s=float(n), healthy=True) for n in range(1, 101)]
    rep.cycles.append(loop.CycleResult(101, time_to_healthy_s=500.0, healthy=False))  # not recovered: left out
    rep.cycles.append(loop.CycleResult(102, time_to_healthy_s=None, healthy=True))
    rec = rep.recovery()
    assert rec == {"p50_s": pytest.approx(50.5), "p95_s": pytest.approx(95.05), "max_s": 100.0, "recovered": 100,
                   "cycles": 102}


def test_report_json_keys_and_rounding():
    rep = loop.ResilienceReport("s", "c", True, [KEY], wall_s=1.23456, setup_failures=["x"],
                                durability={KEY: {"durable": True, "note": "n"}},
                                ledger=[L.LedgerEntry(KEY, "loc", "ab", {"key": "k"})])
    rep.cycles = [loop.CycleResult(1, healthy=True, data_loss=["brain: gone"])]
    doc = rep.to_json()
    assert list(doc) == ["version", "stack", "cycler", "hard", "services", "passed", "wall_s", "setup_failures",
                         "durability", "ledger", "recovery", "data_loss", "ledger_cleanup", "cycles"]
    assert doc["wall_s"] == 1.235 and doc["setup_failures"] == ["x"] and doc["passed"] is False
    assert doc["ledger"] == [{"service": KEY, "location": "loc", "sha256": "ab", "ref": {"key": "k"}}]
    assert doc["data_loss"] == ["cycle 1: brain: gone"] and doc["durability"] == {KEY: {"durable": True, "note": "n"}}
    assert doc["cycles"][0]["passed"] is False and doc["cycles"][0]["n"] == 1


def test_progress_advances_one_step_per_completed_step():
    bar = loop._Progress(True)
    try:
        bar.cycle(1, 1)
        bar.step("down")
        bar.step("up", done=False)
        bar.step("ledger")
        task = bar.p.tasks[0]
        assert task.completed == 2 and task.total == len(loop._Progress.STEPS) and task.fields["step"] == "ledger"
    finally:
        bar.stop()
    off = loop._Progress(False)
    off.task = 0  # no bar: steps are no-ops even with a task id
    off.step("down")
    off.cycle(1, 1)
    assert off.task == 0


def test_a_slow_start_within_the_deadline_passes(target):
    target.up_delay_s = 0.4
    rep = _run(target, cycles=1, deadline=5.0)
    (c,) = rep.cycles
    assert c.passed and c.up_s >= 0.4 and c.failures == []


def test_internal_error_text_is_cut_to_200_characters(target):
    target.is_down_error = ValueError("v" * 300)
    rep = _run(target, cycles=1)
    assert rep.cycles[0].failures == ["internal error: ValueError: " + "v" * 200]


@pytest.fixture
def other_probe(monkeypatch):
    """A probe for OTHER that always answers (a service the cycler does not stop)."""
    spec = ProbeSpec("probe.test.other_service", OTHER, "other service answers", lambda ctx: "answering")
    monkeypatch.setitem(probes_base.REGISTRY, OTHER, [spec])
    monkeypatch.setattr(probes_base, "_MODULES", {k: v for k, v in probes_base._MODULES.items()
                                                  if k not in (KEY, OTHER)})


def test_only_the_cycled_services_are_probed(target, other_probe):
    rep = loop.run_cycles(_topology(other=True), target, cycles=1, cycle_deadline_s=3.0, probe_timeout_s=1.0,
                          services=[KEY], progress=False)
    assert rep.passed and rep.services == [KEY] and rep.cycles[0].failures == []


def test_every_service_still_answering_is_named(target, other_probe):
    target.answers_when_down = True
    rep = loop.run_cycles(_topology(other=True), target, cycles=1, cycle_deadline_s=3.0, probe_timeout_s=1.0,
                          progress=False)
    assert rep.services == [KEY, OTHER]
    assert rep.cycles[0].failures == [f"still answering after down: {KEY}, {OTHER}"]


def test_steps_are_reported_in_order(target, monkeypatch):
    steps: list[str] = []

    class Recording(loop._Progress):
        def step(self, name, done=True):
            steps.append(name)

    monkeypatch.setattr(loop, "_Progress", Recording)
    rep = _run(target, cycles=1)
    assert rep.passed and steps == ["down", "confirm down", "up", "healthy", "ledger"]


def test_down_is_polled_often(target):
    """is_down() turns true shortly after the stop: noticed within the 0.8 s deadline."""
    polls = []

    def is_down():
        polls.append(time.monotonic())
        return len(polls) > 2

    target.is_down = is_down
    rep = _run(target, cycles=1, deadline=0.8)
    assert rep.cycles[0].failures == [] and len(polls) == 3


def test_confirm_down_bounds_a_hanging_probe(target, monkeypatch):
    """A probe that hangs while the service is down is cut at min(2 s, probe timeout)."""
    def probe(ctx):
        if target.up:
            return "answering"
        time.sleep(6)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setitem(probes_base.REGISTRY, KEY, [ProbeSpec("probe.test.hanging", KEY, "hangs when down", probe)])
    rep = loop.run_cycles(_topology(), target, cycles=1, cycle_deadline_s=10.0, probe_timeout_s=0.5, progress=False)
    (c,) = rep.cycles
    assert c.failures == [] and c.down_s < 3.0


# --------------------------------------------------------------------------- ledger cleanup
def test_ledger_entries_are_removed_at_the_end(target):
    rep = _run(target, cycles=2)
    assert rep.passed and target.disk == {}
    assert rep.ledger_cleanup == {"kept": False, "removed": [rep.ledger[0].location], "left": []}
    assert rep.to_json()["ledger_cleanup"] == rep.ledger_cleanup


def test_keep_ledger_leaves_the_entries(target):
    rep = _run(target, cycles=1, keep_ledger=True)
    assert rep.passed and rep.ledger_cleanup == {"kept": True, "removed": [], "left": []}
    assert list(target.disk) == [rep.ledger[0].ref["key"]]


def test_the_rewritten_entry_is_the_one_removed(target, monkeypatch):
    monkeypatch.setitem(L.STORES, KEY, TargetStore(target, durable=False, note="AOF off, RDB off"))
    target.on_down = lambda t, cycle: t.disk.clear()
    rep = _run(target, cycles=1)
    assert target.disk == {} and rep.ledger_cleanup["removed"] == [rep.ledger[0].location]
    assert rep.ledger[0].ref["key"].endswith("-2")  # the entry written again after the loss


def test_an_entry_that_cannot_be_removed_is_listed_with_the_reason(target):
    def break_deletes(t, cycle):
        t.delete_error = ConnectionRefusedError(111, "Connection refused")

    target.on_up = break_deletes
    rep = _run(target, cycles=1)
    (entry,) = rep.ledger
    assert rep.passed  # the cycles themselves passed
    assert rep.ledger_cleanup == {"kept": False, "removed": [], "left": [
        {"service": KEY, "location": entry.location, "reason": "refused: [Errno 111] Connection refused"}]}
    assert list(target.disk) == [entry.ref["key"]]


def test_entries_are_removed_after_a_cycle_failure_too(target):
    target.fail_up = "brain: no start"
    rep = _run(target, cycles=1, deadline=1.0)
    assert not rep.passed and rep.ledger_cleanup["removed"] == [rep.ledger[0].location]


def test_remove_ledger_goes_on_after_a_failure(target):
    topo = _topology()
    store = L.STORES[KEY]
    a, b = store.write(_ctx(), "run", b"a"), store.write(_ctx(), "run", b"b")
    gone = L.LedgerEntry("milvus", "collection somastack_ledger id=1", "00", {"id": 1})  # not in the topology
    out = loop.remove_ledger(topo, [a, gone, b], 1.0)
    assert out["kept"] is False and out["removed"] == [a.location, b.location] and target.disk == {}
    assert out["left"] == [{"service": "milvus", "location": gone.location, "reason": "error: KeyError: 'milvus'"}]
    with pytest.raises(NotImplementedError):
        L.Store().delete(_ctx(), a)


def test_a_ledger_write_failure_is_removed_from_the_services_written(target, other_probe, monkeypatch):
    """Entries already written when a later service's write fails are removed again."""
    class Failing(TargetStore):
        service = OTHER

        def write(self, ctx, run_id, payload):
            raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setitem(L.STORES, OTHER, Failing(target))
    rep = loop.run_cycles(_topology(other=True), target, cycles=2, cycle_deadline_s=3.0, probe_timeout_s=1.0,
                          progress=False)
    assert rep.cycles == [] and target.calls == [] and not rep.passed
    assert rep.setup_failures == [f"{OTHER}: cannot write the ledger entry: refused: [Errno 111] Connection refused"]
    assert [e.service for e in rep.ledger] == [KEY] and target.disk == {}
    assert rep.ledger_cleanup["removed"] == [rep.ledger[0].location]


# --------------------------------------------------------------------------- contexts and payloads
def test_every_store_call_gets_its_service_context_with_the_probe_timeout(target):
    rep = loop.run_cycles(_topology(), target, cycles=2, cycle_deadline_s=3.0, probe_timeout_s=0.75, progress=False)
    assert rep.passed
    conns = L.STORES[KEY].connections
    assert [c[0] for c in conns] == ["durability", "write", "read", "read", "delete"]
    assert set(c[1:] for c in conns) == {("pure", KEY, "127.0.0.1:9", 0.75)}


def test_the_rewrite_after_a_loss_uses_the_service_context_and_a_fresh_payload(target, monkeypatch):
    store = TargetStore(target, durable=False, note="AOF off, RDB off")
    monkeypatch.setitem(L.STORES, KEY, store)
    target.on_down = lambda t, cycle: t.disk.clear()
    rep = _run(target, cycles=1)
    assert [c[0] for c in store.connections] == ["durability", "write", "read", "write", "delete"]
    assert set(c[1:] for c in store.connections) == {("pure", KEY, "127.0.0.1:9", 1.0)}
    run_id = rep.ledger[0].ref["key"].split("-")[0]
    assert [p.split()[:3] for p in store.payloads] == [[b"somastack-ledger", run_id.encode(), KEY.encode()]] * 2


AGENT = "agent"  # a stateless service (no ledger store), sorted before the stateful ones


def _three_services() -> Topology:
    topo = _topology(other=True)
    topo.services[AGENT] = Service(plane="control", engine="fake", endpoints=[
        Endpoint(protocol="tcp", host="127.0.0.1", port=10)])
    return topo


@pytest.fixture
def more_services(target, monkeypatch):
    """AGENT and OTHER answer like the target; OTHER has a durable ledger store of its own."""
    def probe(ctx):
        if target.up:
            return "answering"
        raise ConnectionRefusedError(111, "Connection refused")

    for key in (AGENT, OTHER):
        monkeypatch.setitem(probes_base.REGISTRY, key, [ProbeSpec(f"probe.test.{key}", key, f"{key} answers", probe)])
    monkeypatch.setattr(probes_base, "_MODULES", {k: v for k, v in probes_base._MODULES.items()
                                                  if k not in (KEY, OTHER, AGENT)})
    monkeypatch.setitem(L.STORES, OTHER, TargetStore(target, service=OTHER, note="fake disk 2"))
    return target


def test_every_stateful_service_gets_an_entry_past_a_stateless_one(more_services):
    rep = loop.run_cycles(_three_services(), more_services, cycles=1, cycle_deadline_s=3.0, probe_timeout_s=1.0,
                          progress=False)
    assert rep.services == [AGENT, KEY, OTHER] and rep.passed
    assert [e.service for e in rep.ledger] == [KEY, OTHER]
    assert rep.durability == {KEY: {"durable": True, "note": "fake disk"}, OTHER: {"durable": True,
                                                                                   "note": "fake disk 2"}}
    assert set(rep.cycles[0].data) == {KEY, OTHER}
    assert L.STORES[OTHER].connections[0][1:] == ("pure", OTHER, "127.0.0.1:9", 1.0)


def test_a_lost_entry_does_not_stop_the_check_of_the_next_service(more_services, monkeypatch):
    monkeypatch.setitem(L.STORES, KEY, TargetStore(more_services, durable=False, note="AOF off, RDB off"))

    def lose_brain(t, cycle):
        for k in [k for k in t.disk if not k.startswith(OTHER + ":")]:
            del t.disk[k]

    more_services.on_down = lose_brain
    rep = loop.run_cycles(_three_services(), more_services, cycles=1, cycle_deadline_s=3.0, probe_timeout_s=1.0,
                          progress=False)
    (c,) = rep.cycles
    assert c.data[KEY]["verdict"] == loop.LOST_NOT_DURABLE
    assert c.data[OTHER] == {"verdict": L.VERDICT_INTACT, "detail": rep.ledger[1].location}


@pytest.fixture
def other_down(monkeypatch):
    """OTHER is in the topology but down, and not one of the cycled services."""
    def probe(ctx):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setitem(probes_base.REGISTRY, OTHER, [ProbeSpec("probe.test.other_down", OTHER, "down", probe)])
    monkeypatch.setattr(probes_base, "_MODULES", {k: v for k, v in probes_base._MODULES.items()
                                                  if k not in (KEY, OTHER)})


def test_a_down_service_outside_the_cycled_ones_does_not_count(target, other_down):
    rep = loop.run_cycles(_topology(other=True), target, cycles=1, cycle_deadline_s=3.0, probe_timeout_s=1.0,
                          services=[KEY], progress=False)
    assert rep.setup_failures == [] and rep.cycles[0].failures == [] and rep.passed


# --------------------------------------------------------------------------- probes during recovery
def test_a_probe_failing_right_after_recovery_is_named(target):
    target.on_down = lambda t, cycle: t.script.extend(["ok", "refuse"])
    rep = _run(target, cycles=1)
    (c,) = rep.cycles
    assert c.healthy and c.failures == [f"probe after recovery: {KEY}: refused: [Errno 111] Connection refused"]
    assert c.data[KEY]["verdict"] == L.VERDICT_INTACT and not c.passed


def test_the_probe_after_recovery_is_bounded_by_the_probe_timeout(target):
    target.on_down = lambda t, cycle: t.script.extend(["ok", "hang"])
    rep = _run(target, cycles=1)
    (c,) = rep.cycles
    assert c.failures == [f"probe after recovery: {KEY}: timed out: no answer within 1s"]


def test_recovery_probes_are_bounded_by_the_probe_timeout(target):
    target.on_down = lambda t, cycle: t.script.extend(["hang"] * 4)
    rep = loop.run_cycles(_topology(), target, cycles=1, cycle_deadline_s=1.5, probe_timeout_s=0.5, progress=False)
    (c,) = rep.cycles
    assert not c.healthy and c.failures == [f"not healthy within 1.5s: {KEY}: timed out: no answer within 0.5s"]


def test_the_health_check_before_cycling_is_bounded_by_the_probe_timeout(target):
    target.script = ["hang"] * 4
    rep = loop.run_cycles(_topology(), target, cycles=1, cycle_deadline_s=1.0, probe_timeout_s=0.5, progress=False)
    assert rep.cycles == [] and target.calls == []
    assert rep.setup_failures == [f"not healthy before cycling: {KEY}: timed out: no answer within 0.5s"]


def test_a_stack_still_starting_is_waited_for_before_cycling(target):
    target.up = False
    threading.Timer(0.3, lambda: setattr(target, "up", True)).start()
    rep = loop.run_cycles(_topology(), target, cycles=1, cycle_deadline_s=5.0, probe_timeout_s=1.0, progress=False)
    assert rep.setup_failures == [] and rep.passed


# --------------------------------------------------------------------------- the bring-up thread
def test_bring_up_runs_in_a_named_daemon_thread(target):
    """A bring-up that never returns cannot keep the process alive at exit."""
    rep = _run(target, cycles=2)
    assert rep.passed and target.up_threads == [("bring-up-1", True), ("bring-up-2", True)]


def test_a_slow_returning_bring_up_is_waited_for(target):
    target.up_return_delay_s = 0.3
    rep = _run(target, cycles=1, deadline=5.0)
    (c,) = rep.cycles
    assert c.passed and c.failures == [] and c.up_s >= 0.3


def test_a_bring_up_that_does_not_return_is_cut_at_the_deadline(target):
    target.up_return_delay_s = 3.0
    rep = _run(target, cycles=1, deadline=1.0)
    (c,) = rep.cycles
    assert c.healthy and c.up_s is None and c.cycle_s < 2.5
    assert c.failures == ["the target did not finish starting within 1s"] and not c.passed


def test_stopping_the_wait_after_a_failed_bring_up_says_how_long_it_waited(target):
    target.fail_up = "brain: no start"
    rep = _run(target, cycles=1, deadline=3.0)
    (c,) = rep.cycles
    (stopped,) = [f for f in c.failures if f.startswith("stopped waiting for health ")]
    waited = float(stopped.split()[4].rstrip("s"))
    assert 0 <= waited < 3.0 and stopped.endswith("s after the start request: the bring-up failed")


# --------------------------------------------------------------------------- defaults and wall time
def test_defaults_run_ten_cycles_with_a_progress_bar(target, capsys):
    rep = loop.run_cycles(_topology(), target, probe_timeout_s=1.0)
    assert len(rep.cycles) == 10 and rep.passed  # seed 002 §5.3: 10 cycles
    err = capsys.readouterr().err
    assert "cycle 10/10" in err
    assert 0 < rep.wall_s < 60 and rep.hard is False and rep.ledger_cleanup["kept"] is False


def test_no_progress_bar_when_not_asked(target, capsys):
    rep = _run(target, cycles=1)
    assert rep.passed and capsys.readouterr().err == ""
    assert 0 < rep.wall_s < 30


def test_wall_time_of_a_run_that_never_cycled(target):
    target.up = False
    rep = loop.run_cycles(_topology(), target, cycles=1, cycle_deadline_s=0.3, probe_timeout_s=0.5, progress=False)
    assert rep.setup_failures and 0 < rep.wall_s < 30
