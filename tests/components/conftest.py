"""Helpers for component tests: run a small program under the shared mock runtime."""

from __future__ import annotations

import pytest


@pytest.fixture()
def run_program():
    """``run_program(program, stack="test-prod", config=None)`` → CapturedPlan."""
    from somastack_deploy.plan.runner import run_stack

    def _run(program, stack: str = "test-prod", config: dict | None = None, mocks=None):
        return run_stack(stack, {"aws:region": "us-east-1", **(config or {})}, program, mocks=mocks)

    return _run
