"""Helpers for component tests: run a small program under the shared mock runtime."""

from __future__ import annotations

import pytest


@pytest.fixture()
def run_program():
    """``run_program(program, stack="test-prod", config=None)`` → CapturedPlan."""
    from somastack_deploy.plan.runner import run_stack

    def _run(program, stack: str = "test-prod", config: dict | None = None, mocks=None):
        try:
            return run_stack(stack, {"aws:region": "us-east-1", **(config or {})}, program, mocks=mocks)
        except BaseException:
            # Drop Output tasks a failed run left in the SDK's process-global SETTINGS.outputs,
            # or the next run would await and re-raise them (runner does not reset them yet).
            from pulumi.runtime import settings

            for task in list(settings.SETTINGS.outputs):
                task.cancel()
            settings.SETTINGS.outputs.clear()
            raise

    return _run
