"""Offline plan time per stack: ``python benchmarks/plan.py [STACK ...]``.

For each stack (default: local-dev, fargate-prod, fargate-dev, eks-prod) prints the time of a
cold run (first run in this process: imports of the program and provider SDK modules
included) and of warm runs (median of 3) of :func:`somastack_deploy.plan.runner.run_stack` on
``somastack_deploy.stacks.program.main`` plus the policy evaluation, with the resource count. Aim (issue 3):
under 3 s per stack, warm. Figures in seconds; nothing is asserted.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

DEFAULT_STACKS = ("local-dev", "fargate-prod", "fargate-dev", "eks-prod")


def plan_once(stack: str) -> tuple[float, int, int]:
    """One offline plan of ``stack``: (seconds, resources, violations)."""
    from somastack_deploy.policies import evaluate
    from somastack_deploy.plan.runner import run_stack
    from somastack_deploy.plan.stackfile import load_stack_file, project_name, with_project_defaults

    t0 = time.perf_counter()
    from somastack_deploy.stacks.program import main

    config = with_project_defaults(load_stack_file(os.path.join(ROOT, f"Pulumi.{stack}.yaml")), ROOT)
    plan = run_stack(stack, config, main, project=project_name(ROOT))
    violations = evaluate(plan.resources)
    return time.perf_counter() - t0, len(plan.resources), len(violations)


def main(argv: list[str]) -> int:
    """Print cold and warm plan times per stack."""
    import warnings

    warnings.simplefilter("ignore", DeprecationWarning)
    stacks = argv or list(DEFAULT_STACKS)
    t0 = time.perf_counter()
    import pulumi  # noqa: F401

    print(f"import pulumi: {time.perf_counter() - t0:.2f} s")
    print(f"{'stack':<14} {'resources':>9} {'violations':>10} {'cold s':>8} {'warm s (median of 3)':>21}")
    for stack in stacks:
        if not os.path.exists(os.path.join(ROOT, f"Pulumi.{stack}.yaml")):
            print(f"{stack:<14} skipped: Pulumi.{stack}.yaml does not exist")
            continue
        try:
            cold, n, v = plan_once(stack)
        except Exception as err:  # noqa: BLE001 - a figure script reports and goes on
            print(f"{stack:<14} failed: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
            continue
        warm = statistics.median(plan_once(stack)[0] for _ in range(3))
        print(f"{stack:<14} {n:>9} {v:>10} {cold:>8.2f} {warm:>21.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
