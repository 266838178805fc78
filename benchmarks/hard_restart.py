"""Figures of hard restarts (issue 11), against real harness services.

Prints:
1. per service, N rounds of ``somastack-services kill`` + ``start`` (each a process of its
   own, relative state dir, as a user runs them): seconds until ``kill`` returned (the whole
   process group gone) and until ``start`` returned (ready), and how many lock files the
   starts removed (PostgreSQL: postmaster.pid and the socket lock of a zombie postmaster);
2. how long a resilience cycle takes to report a bring-up whose server exits at once (a Redis
   start command with a directive redis-server rejects), against the cycle deadline it used
   to wait out.

Usage: ``.venv/bin/python benchmarks/hard_restart.py [--rounds 5] [--port-offset 38000]
[--services postgres,redis,vault,opa,spicedb]``. Starts its own stack in a temporary
directory and stops it at the end.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from somastack_deploy.checks.resilience import loop  # noqa: E402
from somastack_deploy.checks.resilience.cyclers.harness import HarnessCycler  # noqa: E402
from somastack_deploy.harness.base import Context  # noqa: E402
from somastack_deploy.harness.manager import Harness, default_cache_dir  # noqa: E402
from somastack_deploy.harness.services.redis import Redis  # noqa: E402

STATE = ".somastack/services"


def cli(cwd: Path, offset: int, *args: str) -> float:
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "somastack_deploy.harness.cli", "--state-dir", STATE,
                           "--port-offset", str(offset), *args], cwd=cwd, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: {proc.stderr.strip()}")
    return time.monotonic() - t0


def bench_restarts(services: list[str], rounds: int, offset: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        print(f"up {', '.join(services)}: {cli(cwd, offset, 'up', *services):.1f} s")
        try:
            print(f"{'service':<10}{'rounds':>7}{'kill s (median/max)':>22}{'start s (median/max)':>23}{'locks removed':>15}")
            for name in services:
                kills, starts = [], []
                for _ in range(rounds):
                    kills.append(cli(cwd, offset, "kill", name))
                    starts.append(cli(cwd, offset, "start", name))
                log = (cwd / STATE / "logs" / f"{name}.log").read_text(errors="replace")
                removed = log.count("=== harness: removed ")
                print(f"{name:<10}{rounds:>7}{statistics.median(kills):>13.2f} / {max(kills):<6.2f}"
                      f"{statistics.median(starts):>14.2f} / {max(starts):<6.2f}{removed:>15}")
        finally:
            cli(cwd, offset, "down")


class _RedisThatExits(Redis):
    def command(self, ctx):
        argv, env = super().command(ctx)
        return argv + ["--no-such-directive", "yes"], env


def bench_fail_fast(offset: int, deadline_s: float = 300.0) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        h = Harness(Context(state_dir=Path(tmp), cache_dir=default_cache_dir(), port_offset=offset))
        try:
            topo = h.up(["redis"])
            h.specs["redis"] = _RedisThatExits()
            rep = loop.run_cycles(topo, HarnessCycler(h, ["redis"]), cycles=3, hard=True, cycle_deadline_s=deadline_s,
                                  probe_timeout_s=5, progress=False)
        finally:
            h.down()
    secs = [c.cycle_s for c in rep.cycles]
    print(f"bring-up whose server exits: cycle ends after {statistics.median(secs):.2f} s median, "
          f"{max(secs):.2f} s max over {len(secs)} cycles (deadline {deadline_s:g} s, formerly waited out)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--port-offset", type=int, default=38000)
    ap.add_argument("--services", default="postgres,redis,vault,opa,spicedb")
    args = ap.parse_args()
    bench_restarts([s.strip() for s in args.services.split(",") if s.strip()], args.rounds, args.port_offset)
    bench_fail_fast(args.port_offset + 500)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
