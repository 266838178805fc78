"""Figures of the post-deploy checks (issue 5), measured against real harness services.

Prints:
1. probe wall time (all probes concurrently) against the sum of the single probes' times and
   the slowest single probe (aim: wall < 1.5x the slowest);
2. how long after every service is ready (by the harness plug-ins' own readiness checks,
   polled every 10 ms by one watcher thread per service) the resiliency loop notices (all its
   probes pass) (aim: < 250 ms);
3. the wall time of 10 harness cycles split into the services' own time (stop + start up to
   their readiness, as the harness reports) and the toolkit's time (everything else: confirm
   down, probing, ledger reads).

Usage: ``.venv/bin/python benchmarks/checks.py [--cycles 10] [--state-dir DIR]
[--port-offset 40000] [--services postgres,redis,vault,opa,spicedb] [--probe-services …]``.
Starts its own stack (own state dir and ports) and stops it at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from somastack_deploy.checks import runner  # noqa: E402
from somastack_deploy.checks.resilience import loop  # noqa: E402
from somastack_deploy.checks.resilience.cyclers.harness import HarnessCycler  # noqa: E402


class WatchedCycler(HarnessCycler):
    """A harness cycler that records, per cycle, when every service became ready by its own
    plug-in readiness check (``ServiceSpec.ready``), polled every 10 ms per service."""

    def __init__(self, harness, services):
        super().__init__(harness, services)
        self.ready_at: list[float | None] = []
        self.start_at: list[float] = []

    def bring_up(self) -> None:
        self.start_at.append(time.monotonic())
        first: dict[str, float] = {}
        stop = threading.Event()

        def watch(name):
            spec = self.h.spec(name)
            while not stop.is_set():
                if spec.ready(self.h.ctx):
                    first[name] = time.monotonic()
                    return
                time.sleep(0.01)

        threads = [threading.Thread(target=watch, args=(n,), daemon=True) for n in self.order]
        for t in threads:
            t.start()
        try:
            super().bring_up()
        finally:
            for t in threads:
                t.join(30)
            stop.set()
        self.ready_at.append(max(first.values()) if len(first) == len(self.order) else None)


def bench_probes(topology, services, rounds=5):
    walls, singles = [], {}
    for _ in range(rounds):
        rep = runner.run_once(topology, timeout_s=20, services=services)
        if not rep.healthy:
            print("  not healthy:", [(r.service, r.reason) for r in rep.failed()])
        walls.append(rep.wall_ms)
        for s in services:
            one = runner.run_once(topology, timeout_s=20, services=[s])
            singles.setdefault(s, []).append(one.wall_ms)
    med = {s: statistics.median(v) for s, v in singles.items()}
    wall = statistics.median(walls)
    slowest = max(med.values())
    print("1. probes (median of %d rounds)" % rounds)
    for s, v in sorted(med.items(), key=lambda kv: -kv[1]):
        print(f"   {s:<9} alone {v:8.1f} ms")
    print(f"   concurrent wall {wall:.1f} ms; sum of singles {sum(med.values()):.1f} ms; slowest {slowest:.1f} ms;"
          f" wall/slowest = {wall / slowest:.2f} (aim < 1.5)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cycles", type=int, default=10)
    ap.add_argument("--state-dir")
    ap.add_argument("--port-offset", type=int, default=40000)
    ap.add_argument("--services", default="postgres,redis,vault,opa,spicedb")
    ap.add_argument("--probe-services", default="postgres,redis,vault,opa,spicedb,kafka")
    ap.add_argument("--hard", action="store_true", help="SIGKILL instead of a graceful stop")
    args = ap.parse_args()
    from somastack_deploy.harness.base import Context
    from somastack_deploy.harness.manager import Harness, default_cache_dir

    state = Path(args.state_dir or tempfile.mkdtemp(prefix="checks-bench-"))
    h = Harness(Context(state_dir=state, cache_dir=default_cache_dir(), port_offset=args.port_offset))
    probe_services = args.probe_services.split(",")
    cycle_services = args.services.split(",")
    try:
        t0 = time.monotonic()
        topology = h.up(sorted(set(probe_services) | set(cycle_services)))
        print(f"stack up in {time.monotonic() - t0:.1f} s ({', '.join(sorted(topology.services))})")
        runner.run(topology, timeout_s=20, wait_s=60, services=probe_services)  # warm (topics, clients)
        bench_probes(topology, probe_services)

        cycler = WatchedCycler(h, cycle_services)
        rep = loop.run_cycles(topology, cycler, cycles=args.cycles, hard=args.hard, cycle_deadline_s=180,
                              probe_timeout_s=10, services=cycle_services, progress=False)
        # notice latency: the loop's healthy instant (bring_up start + time_to_healthy, the
        # thread starts right at the loop's t1) minus the instant the last service was ready.
        noticed = [start + c.time_to_healthy_s - ready
                   for c, start, ready in zip(rep.cycles, cycler.start_at, cycler.ready_at)
                   if ready is not None and c.time_to_healthy_s is not None]
        if noticed:
            print(f"2. notice latency after every service is ready: median {statistics.median(noticed) * 1000:.0f} ms,"
                  f" max {max(noticed) * 1000:.0f} ms (aim < 250 ms)")
        print(f"3. {len(rep.cycles)} cycles of {', '.join(cycle_services)}{' (hard)' if args.hard else ''}:"
              f" {'PASSED' if rep.passed else 'FAILED'}")
        target = toolkit = 0.0
        for c in rep.cycles:
            svc = (c.stop_s or 0) + (c.up_s or 0)
            tk = (c.cycle_s or 0) - svc
            target += svc
            toolkit += tk
            print(f"   cycle {c.n:>2}: stop {c.stop_s:.2f} s, down confirmed {c.down_s:.2f} s, up (target) {c.up_s:.2f} s,"
                  f" healthy after {c.time_to_healthy_s:.2f} s, ledger {c.ledger_s:.2f} s, cycle {c.cycle_s:.2f} s")
        r = rep.recovery()
        print(f"   recovery p50 {r['p50_s']:.2f} s, p95 {r['p95_s']:.2f} s, max {r['max_s']:.2f} s")
        print(f"   wall {rep.wall_s:.1f} s = services' own stop+start {target:.1f} s + toolkit {toolkit:.1f} s"
              f" (+ {rep.wall_s - target - toolkit:.1f} s before the cycles: health check and ledger writes)")
        if rep.data_loss or not rep.passed:
            print("   failures:", [f for c in rep.cycles for f in c.failures + c.data_loss])
    finally:
        h.down()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
