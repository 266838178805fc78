"""Run the probes of a topology concurrently, each with its own timeout, optionally retrying
with backoff until every probe passes or a deadline passes.

Each probe runs in its own daemon thread; the runner waits at most ``timeout_s`` seconds for
it (a probe still running then is FAILED "timed out" and its thread is abandoned; every
client is also given ``timeout_s`` so the thread ends soon after). Wall time is therefore
about the slowest probe, not the sum.

Result per probe: :class:`ProbeResult`; the whole run: :class:`ProbeReport`, whose
:meth:`ProbeReport.to_json` is the documented ``probe`` JSON (version 1)::

    {"version": 1, "stack": "...", "healthy": true, "wall_ms": 812.3,
     "probes": [{"id": "probe.postgres.sql", "service": "postgres", "status": "PASSED",
                 "latency_ms": 3.2, "reason": null, "category": null, "detail": "PostgreSQL 16.4"}]}
"""

from __future__ import annotations

import importlib
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable

from somastack_deploy.config_contract.services import required_services
from somastack_deploy.config_contract.topology import Service, Topology

from .probes.base import BAD_INPUT, MISSING, TIMED_OUT, ProbeContext, ProbeSpec, probes_for
from .probes.classify import classify

DEFAULT_TIMEOUT_S = 10.0
JSON_VERSION = 1


@dataclass
class ProbeResult:
    """One probe's outcome. ``status`` PASSED/FAILED/UNKNOWN; ``latency_ms`` wall time of the
    probe in milliseconds; ``reason`` one line ``"<category>: <detail>"`` on failure, else
    ``None``; ``category`` the reason category; ``detail`` the success line."""

    id: str
    service: str
    status: str
    latency_ms: float
    reason: str | None = None
    category: str | None = None
    detail: str = ""
    name: str = ""
    source: str = ""

    def to_json(self) -> dict:
        d = asdict(self)
        d["latency_ms"] = round(self.latency_ms, 1)
        d.pop("name"), d.pop("source")
        return d


@dataclass
class ProbeReport:
    """All results of one run; ``wall_ms`` is the run's wall time in milliseconds and
    ``attempts`` how many rounds ``--wait`` needed."""

    stack: str
    results: list[ProbeResult]
    wall_ms: float = 0.0
    attempts: int = 1
    started_at: float = field(default_factory=time.time)

    @property
    def healthy(self) -> bool:
        """True when every probe PASSED (and at least one ran)."""
        return bool(self.results) and all(r.status == "PASSED" for r in self.results)

    def failed(self) -> list[ProbeResult]:
        return [r for r in self.results if r.status != "PASSED"]

    def to_json(self) -> dict:
        return {"version": JSON_VERSION, "stack": self.stack, "healthy": self.healthy,
                "wall_ms": round(self.wall_ms, 1), "attempts": self.attempts,
                "probes": [r.to_json() for r in self.results]}

    def to_results(self):
        """The shared report :class:`somastack_deploy.reports.Result` list (text/junit)."""
        from somastack_deploy.reports import Result

        return [Result(rule_id=r.id, message=f"{r.reason or r.detail} ({r.latency_ms:.0f} ms)", status=r.status, level="error", group=r.service,
                       name=r.name, time_s=r.latency_ms / 1000.0,
                       properties={"latency_ms": round(r.latency_ms, 1), "category": r.category})
                for r in self.results]


@dataclass
class _Job:
    key: str
    service: Service | None
    spec: ProbeSpec | None
    missing_reason: str = ""


def plan(topology: Topology, *, services: Iterable[str] | None = None, include_required: bool = True) -> list[_Job]:
    """Which probes to run: every probe of every service in the topology (or only
    ``services``), plus a ``missing`` failure for each service the contract requires for the
    stack's software mode (:func:`somastack_deploy.config_contract.services.required_services`) that the
    topology lacks, when ``include_required``."""
    chosen = list(services) if services is not None else sorted(topology.services)
    jobs: list[_Job] = []
    for key in chosen:
        svc = topology.services.get(key)
        if svc is None:
            jobs.append(_Job(key, None, None, f"{key} is not in the topology of stack {topology.stack}"))
            continue
        specs = probes_for(key, svc)
        for spec in specs:
            jobs.append(_Job(key, svc, spec))
    if include_required and services is None:
        uses_vault = any(ref.startswith("ref+vault://") for s in topology.services.values() for ref in s.credentials.values())
        mode = topology.dimensions.software_mode
        for key in required_services(mode, vault=uses_vault):
            if key not in topology.services:
                jobs.append(_Job(key, None, None, f"{key} is required in {mode} but not in the topology"))
    return jobs


def _scrub(text: str, secrets: set[str]) -> str:
    for s in sorted(secrets, key=len, reverse=True):
        if s:
            text = text.replace(s, "****")
    return text


def _run_one(job: _Job, topology: Topology, timeout_s: float, resolver, out: dict, secrets: set[str]) -> None:
    ctx = ProbeContext(job.key, job.service, topology, timeout_s, resolver=resolver, secrets=secrets)
    t0 = time.perf_counter()
    try:
        detail = job.spec.func(ctx)
        out["result"] = ("PASSED", None, str(detail or ""), time.perf_counter() - t0)
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a classified result
        category, detail = classify(exc)
        out["result"] = ("FAILED", category, detail, time.perf_counter() - t0)


def run_once(topology: Topology, *, timeout_s: float = DEFAULT_TIMEOUT_S, services: Iterable[str] | None = None,
             include_required: bool = True, resolver: Callable[[str], str] | None = None,
             jobs: list[_Job] | None = None) -> ProbeReport:
    """Run every planned probe concurrently (threads) and return the report.

    ``timeout_s`` (seconds) bounds each probe; a probe that has not answered by then is
    FAILED with reason ``timed out``. Never raises for a probe's failure.
    """
    jobs = plan(topology, services=services, include_required=include_required) if jobs is None else jobs
    for job in jobs:
        for module in (job.spec.imports if job.spec else ()):
            importlib.import_module(module)
    t0 = time.perf_counter()
    secrets: set[str] = set()
    slots: list[tuple[_Job, dict, threading.Thread | None]] = []
    for job in jobs:
        out: dict = {}
        th = None
        if job.spec is not None:
            th = threading.Thread(target=_run_one, args=(job, topology, timeout_s, resolver, out, secrets),
                                  name=f"probe-{job.spec.id}", daemon=True)
            th.start()
        slots.append((job, out, th))
    deadline = t0 + timeout_s
    results = []
    for job, out, th in slots:
        if th is None:
            results.append(ProbeResult(f"probe.{job.key}.present", job.key, "FAILED", 0.0,
                                       f"{MISSING}: {job.missing_reason}", MISSING))
            continue
        th.join(max(0.0, deadline - time.perf_counter()))
        spec = job.spec
        if "result" not in out:
            results.append(ProbeResult(spec.id, job.key, "FAILED", timeout_s * 1000.0,
                                       f"{TIMED_OUT}: no answer within {timeout_s:g}s", TIMED_OUT,
                                       name=spec.name, source=spec.source))
            continue
        status, category, detail, elapsed = out["result"]
        detail = _scrub(detail, secrets)
        results.append(ProbeResult(spec.id, job.key, status, elapsed * 1000.0,
                                   f"{category}: {detail}" if status != "PASSED" else None,
                                   category, detail if status == "PASSED" else "", name=spec.name, source=spec.source))
    return ProbeReport(topology.stack, results, wall_ms=(time.perf_counter() - t0) * 1000.0)


def _worth_retrying(rep: ProbeReport) -> bool:
    """Retry while some failure may heal by waiting: not when every failure is unusable input
    (an unresolvable credential, a bad endpoint) or a service missing from the topology."""
    return any(r.category not in (BAD_INPUT, MISSING) for r in rep.failed())


def run(topology: Topology, *, timeout_s: float = DEFAULT_TIMEOUT_S, wait_s: float = 0.0,
        services: Iterable[str] | None = None, include_required: bool = True,
        resolver: Callable[[str], str] | None = None, max_backoff_s: float = 2.0,
        sleep: Callable[[float], None] = time.sleep) -> ProbeReport:
    """Run the probes; with ``wait_s`` > 0, retry the whole set with exponential backoff
    (tenacity; 50 ms doubling up to ``max_backoff_s``) until every probe passes or ``wait_s``
    seconds have passed, and return the last report (``attempts`` = rounds run, ``wall_ms``
    the total time). Probes that already passed are not re-run."""
    jobs = plan(topology, services=services, include_required=include_required)
    if wait_s <= 0:
        return run_once(topology, timeout_s=timeout_s, resolver=resolver, jobs=jobs)
    from tenacity import Retrying, retry_if_result, stop_after_delay, wait_exponential

    t0 = time.perf_counter()
    state = {"passed": {}, "attempts": 0}

    def attempt() -> ProbeReport:
        state["attempts"] += 1
        todo = [j for j in jobs if not (j.spec and j.spec.id + j.key in state["passed"])]
        rep = run_once(topology, timeout_s=timeout_s, resolver=resolver, jobs=todo)
        for r in rep.results:
            if r.status == "PASSED":
                state["passed"][r.id + r.service] = r
        merged = [state["passed"].get(j.spec.id + j.key) if j.spec else None for j in jobs]
        fresh = {(r.id, r.service): r for r in rep.results}
        results = [m or fresh.get((j.spec.id if j.spec else f"probe.{j.key}.present", j.key)) for m, j in zip(merged, jobs)]
        return ProbeReport(topology.stack, [r for r in results if r is not None])

    retrying = Retrying(stop=stop_after_delay(wait_s), wait=wait_exponential(multiplier=0.05, min=0.05, max=max_backoff_s),
                        retry=retry_if_result(_worth_retrying),
                        retry_error_callback=lambda rs: rs.outcome.result(), sleep=sleep)
    report = retrying(attempt)
    report.wall_ms = (time.perf_counter() - t0) * 1000.0
    report.attempts = state["attempts"]
    return report
