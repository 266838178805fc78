"""Shared helpers of the contract tests: repository paths and an in-process CLI runner."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SEEDS = EXAMPLES / "seeds"
DATA = Path(__file__).resolve().parent / "data"
CASES = DATA / "cases"

FARGATE = EXAMPLES / "prod-cluster-fargate.env"
EKS = EXAMPLES / "prod-cluster-eks.env"
DEV = EXAMPLES / "dev-standalone-local.env"
GOOD_EXAMPLES = (DEV, FARGATE, EKS)
BROKEN_EXAMPLES = tuple(sorted(EXAMPLES.glob("broken-*.env")))


def cli(*argv: str) -> tuple[int, str, str]:
    """Run ``somastack-deploy ARGV`` in-process; returns (exit code, stdout, stderr)."""
    from somastack_deploy.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse errors
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def report_of(*files, services=None):
    """Evaluate env files (later wins) and return the :class:`somastack_deploy.config_contract.report.Report`."""
    from somastack_deploy.config_contract import evaluate, load_sources

    env, prov = load_sources([str(f) for f in files])
    return evaluate(env, provenance=prov, services=services)
