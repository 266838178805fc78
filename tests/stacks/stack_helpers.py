"""Helpers of the stack tests: the repository root, the bundled stacks, and running a stack's
program under the shared mock runtime.

A module of its own with a unique name (not ``conftest``): test files import it by name, which
works whatever other ``conftest`` module an earlier test directory put into ``sys.modules``.
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
