"""Run each stack's program once per test session under the shared mock runtime.

Plans are cached (imports of pulumi_aws dominate; one process runs all four stacks).
"""

from __future__ import annotations

import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STACKS = ("local-dev", "fargate-prod", "fargate-dev", "eks-prod")


def stack_config(stack: str) -> dict:
    """The ``config:`` mapping of ``Pulumi.<stack>.yaml``."""
    from somastack_deploy.plan.stackfile import load_stack_file

    return load_stack_file(os.path.join(ROOT, f"Pulumi.{stack}.yaml"))


def run(stack: str, config: dict | None = None, mocks=None):
    """Run ``somastack_deploy.stacks.program.main`` for ``stack`` (its stack file, or ``config``)."""
    from somastack_deploy.plan.runner import run_stack
    from somastack_deploy.stacks.program import main

    return run_stack(stack, stack_config(stack) if config is None else config, main, mocks=mocks)


def run_expecting(exc_type, stack: str, config: dict | None = None, mocks=None):
    """Run ``stack`` expecting ``exc_type``; returns the pytest ExceptionInfo. (The shared runner
    resets the runtime after a failed run, so later runs in this process are unaffected.)"""
    with pytest.raises(exc_type) as info:
        run(stack, config, mocks=mocks)
    return info


_CACHE: dict = {}


@pytest.fixture(scope="session")
def plans():
    """stack name → CapturedPlan of its stack file (computed lazily, once)."""

    class Plans(dict):
        def __missing__(self, stack):
            self[stack] = run(stack)
            return self[stack]

    return _CACHE.setdefault("plans", Plans())
