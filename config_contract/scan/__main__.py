"""``python -m somastack_deploy.config_contract.scan PATH``: the scan on its own (benchmarks, baselines).

Options: ``--baseline FILE`` (accepted findings), ``--environment PROD|DEV``,
``--write-baseline FILE`` (accept every current finding and exit 0), ``--processes N``,
``--hits`` (print the raw value-free detect-secrets hits and fallbacks as JSON, for
``benchmarks/scan.py``). Prints findings as JSON lines otherwise. Exit codes: 0 no error
findings, 1 error findings, 2 unusable input. ``somastack-deploy preflight --scan`` is the
user-facing command.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from ..errors import InputError
from . import ScanResult, run_scan, scan_tree, write_baseline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m somastack_deploy.config_contract.scan", description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--baseline")
    parser.add_argument("--environment", default="PROD", choices=["PROD", "DEV"])
    parser.add_argument("--write-baseline", metavar="FILE")
    parser.add_argument("--processes", type=int)
    parser.add_argument("--hits", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.write_baseline:
            count = write_baseline(args.path, args.write_baseline, processes=args.processes)
            print(f"{args.write_baseline}: {count} accepted findings")
            return 0
        if args.hits:
            result: ScanResult = scan_tree(args.path, processes=args.processes)
            json.dump({"files": result.files, "bytes": result.bytes,
                       "secrets": [dataclasses.asdict(h) for h in result.secrets],
                       "fallbacks": [{"path": h.path, "line": h.line, "variable": h.variable, "kind": h.kind}
                                     for h in result.fallbacks]}, sys.stdout)
            print()
            return 0
        findings = run_scan(args.path, baseline=args.baseline, environment=args.environment,
                            processes=args.processes)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for finding in findings:
        print(json.dumps(finding.to_dict()))
    return 1 if any(f.severity == "error" for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
