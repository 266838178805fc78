"""Figures of the real-services harness: install, ``up``, resident memory, ``down``.

Usage::

    .venv/bin/python benchmarks/services.py [--services postgres redis ...] [--cold]
                                            [--port-offset 21000] [--json]

Measures, on a stack of its own (temporary state dir, port offset 21000 by default):

- ``install_s``: per service, seconds of ``ServiceSpec.install`` into the cache. With ``--cold``
  the cache is a fresh temporary directory, pip's cache is off (``PIP_NO_CACHE_DIR``) and Go's
  module and build caches are fresh (``GOMODCACHE``, ``GOCACHE``), so PyPI/Maven/Go downloads
  and builds are included; Redis comes from Debian (``apt-get``) and is only
  reinstalled when ``--cold`` and ``--apt`` are both given. Without ``--cold``: 0.0 when cached.
- ``first_up_s``: ``Harness.up`` on an empty state dir (initdb, OpenBao init, ...).
- ``warm_up_s``: ``down`` then ``up`` again on the same state dir: installs cached, data kept.
  This is the figure of issue 4 ("warm up of the whole set, aim < 90 s").
- ``warm_start_s``: per service, seconds from spawn to ready (post-start included) in that
  warm ``up``; services of one dependency level start in parallel.
- ``rss_bytes``: resident set size summed over every process group of the stack, per service
  and in total (aim < 6 GiB).
- ``down_s``: ``Harness.down`` of the whole set.

Prints a table (or JSON with ``--json``); never prints a credential. Exit 1 when a service
could not be installed or started (the message names its log).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from somastack_deploy.harness.base import Context  # noqa: E402
from somastack_deploy.harness.manager import Harness, HarnessError, default_cache_dir  # noqa: E402
from somastack_deploy.harness.registry import ALL_SERVICES  # noqa: E402


def measure(services: list[str], *, cold: bool, apt: bool, port_offset: int) -> dict:
    """Run the measurements described in the module docstring; returns the figures."""
    figures: dict = {"services": services, "cold": cold, "install_s": {}}
    with tempfile.TemporaryDirectory(prefix="soma-bench-") as tmp:
        cache = Path(tmp) / "cache" if cold else default_cache_dir()
        if cold:  # no pip, Go module or Go build cache either: downloads and builds included
            os.environ["PIP_NO_CACHE_DIR"] = "1"
            os.environ["GOMODCACHE"] = str(Path(tmp) / "gomod")
            os.environ["GOCACHE"] = str(Path(tmp) / "gobuild")
        ctx = Context(state_dir=Path(tmp) / "state", cache_dir=cache, port_offset=port_offset)
        h = Harness(ctx)
        failed: dict[str, str] = {}
        for name in services:
            t0 = time.monotonic()
            try:
                spec = h.spec(name)
                if cold and name == "redis":
                    if apt:
                        subprocess.run(["apt-get", "install", "-y", "-q", "--reinstall", "--no-install-recommends",
                                        "redis-server", "redis-tools"], check=True, capture_output=True)
                    else:
                        figures["install_s"][name] = None  # Debian package, not reinstalled
                        continue
                elif cold or not spec.installed(ctx):
                    spec.install(ctx)
            except Exception as err:  # one plug-in failing must not lose the other figures
                failed[name] = f"{type(err).__name__}: {err}"
                print(f"install {name}: FAILED {failed[name]}", file=sys.stderr, flush=True)
                continue
            figures["install_s"][name] = round(time.monotonic() - t0, 1)
            print(f"install {name}: {figures['install_s'][name]} s", file=sys.stderr, flush=True)
        figures["install_failed"] = failed
        services = [n for n in services if n not in failed]
        figures["services"] = services
        try:
            t0 = time.monotonic()
            h.up(services)
            figures["first_up_s"] = round(time.monotonic() - t0, 1)
            h.down()
            t0 = time.monotonic()
            h.up(services)
            figures["warm_up_s"] = round(time.monotonic() - t0, 1)
            figures["warm_start_s"] = {n: round(t, 1) for n, t in h.start_times.items()}
            status = h.status()
            figures["rss_bytes"] = {n: s.rss_bytes for n, s in status.items()}
            figures["rss_total_bytes"] = sum(figures["rss_bytes"].values())
            figures["provenance"] = h.topology().provenance
        finally:
            t0 = time.monotonic()
            h.down()
            figures["down_s"] = round(time.monotonic() - t0, 1)
    return figures


def _table(f: dict) -> str:
    mib = lambda b: f"{b / 2**20:.0f} MiB"  # noqa: E731
    lines = [f"{'service':<10} {'install (s)':>12} {'warm start (s)':>15} {'RSS':>10}"]
    for n in f["services"]:
        inst = f["install_s"].get(n)
        start = f["warm_start_s"].get(n)
        lines.append(f"{n:<10} {('apt' if inst is None else f'{inst:.1f}'):>12} "
                     f"{('-' if start is None else f'{start:.1f}'):>15} {mib(f['rss_bytes'].get(n, 0)):>10}")
    lines += [
        f"first up (empty state): {f['first_up_s']:.1f} s",
        f"warm up (cached, data kept): {f['warm_up_s']:.1f} s",
        f"resident memory, whole set: {mib(f['rss_total_bytes'])}",
        f"down: {f['down_s']:.1f} s",
        f"cache: {'cold (fresh temporary cache, no pip cache)' if f['cold'] else 'warm'}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--services", nargs="+", default=list(ALL_SERVICES), choices=list(ALL_SERVICES))
    ap.add_argument("--cold", action="store_true", help="install into a fresh temporary cache")
    ap.add_argument("--apt", action="store_true", help="with --cold: also reinstall redis-server via apt-get")
    ap.add_argument("--port-offset", type=int, default=21000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    try:
        figures = measure(args.services, cold=args.cold, apt=args.apt, port_offset=args.port_offset)
    except HarnessError as err:
        print(f"benchmark: {err}", file=sys.stderr)
        return 1
    print(json.dumps(figures, indent=2, sort_keys=True) if args.json else _table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
