"""Preflight wall time: cold CLI start on each bundled example (one fresh process per run).

Usage: ``.venv/bin/python benchmarks/preflight.py [--runs N]``

For every ``examples/*.env`` and ``examples/seeds/*.env`` file, runs
``python -m somastack_deploy preflight FILE --format json`` N times (default 5) in a fresh
interpreter and prints min / median / max wall time in seconds, the exit code, and whether
Pulumi or boto3 were imported (they must not be). Also prints the bare interpreter start-up
for reference. Aim (issue 2): preflight under 0.5 s. Prints figures, asserts nothing.

Then runs the ``--scan`` throughput benchmark of ``benchmarks/scan.py`` (``bench_scan``: a
generated tree of ``--files`` files, default 10,000, side by side with the detect-secrets CLI;
``--files 0`` skips it).
"""

from __future__ import annotations

import argparse
import glob
import os
import resource
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBE = ("import sys, runpy; sys.argv=['somastack-deploy','preflight',%r,'--format','json'];"
         "from somastack_deploy.cli import main; rc=main(sys.argv[1:]);"
         "heavy=sorted({m.split('.')[0] for m in sys.modules} & {'pulumi','boto3','botocore'});"
         "sys.stderr.write('HEAVY=' + ','.join(heavy) + '\\n'); sys.exit(rc)")


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(argv: list[str]) -> tuple[float, int, str, float]:
    """Run ``argv``; returns (wall s, exit code, stderr, child CPU s (user + sys))."""
    cpu0, start = _cpu_children(), time.perf_counter()
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
    return time.perf_counter() - start, proc.returncode, proc.stderr, _cpu_children() - cpu0


def bench_preflight(runs: int = 5) -> list[dict]:
    """Time cold ``preflight`` runs on every bundled example; returns one dict per file with
    ``file``, ``min_s``, ``median_s``, ``max_s`` (wall), ``cpu_median_s`` (user+sys of the child,
    less sensitive to other load on the machine), ``exit`` and ``heavy_imports``."""
    files = sorted(glob.glob(os.path.join(REPO, "examples", "*.env"))) + \
        sorted(glob.glob(os.path.join(REPO, "examples", "seeds", "*.env")))
    rows = []
    for path in files:
        rel = os.path.relpath(path, REPO)
        times, cpus, code, heavy = [], [], None, ""
        for _ in range(runs):
            t, code, err, cpu = _time([sys.executable, "-m", "somastack_deploy", "preflight", rel, "--format", "json"])
            times.append(t)
            cpus.append(cpu)
        _, _, err, _ = _time([sys.executable, "-c", PROBE % rel])
        heavy = next((line[6:] for line in err.splitlines() if line.startswith("HEAVY=")), "?")
        rows.append({"file": rel, "min_s": min(times), "median_s": statistics.median(times), "max_s": max(times),
                     "cpu_median_s": statistics.median(cpus), "exit": code, "heavy_imports": heavy or "none"})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per file (default 5)")
    parser.add_argument("--files", type=int, default=10_000, help="scan benchmark tree size (default 10000, 0 skips)")
    args = parser.parse_args(argv)
    base = statistics.median(_time([sys.executable, "-c", "pass"])[0] for _ in range(args.runs))
    print(f"python start-up (python -c pass): {base:.3f} s median of {args.runs}; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"{'file':<48} {'min s':>7} {'median s':>9} {'max s':>7} {'cpu s':>7} {'exit':>5}  heavy imports")
    rows = bench_preflight(args.runs)
    for r in rows:
        print(f"{r['file']:<48} {r['min_s']:7.3f} {r['median_s']:9.3f} {r['max_s']:7.3f} {r['cpu_median_s']:7.3f} {r['exit']:>5}  {r['heavy_imports']}")
    worst = max(r["median_s"] for r in rows)
    best = min(r["min_s"] for r in rows)
    print(f"worst median wall: {worst:.3f} s, best wall: {best:.3f} s, worst median CPU: "
          f"{max(r['cpu_median_s'] for r in rows):.3f} s (aim < 0.5 s)")
    if args.files:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from scan import bench_scan

        print()
        bench_scan(args.files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
