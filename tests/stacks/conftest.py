"""Run each stack's program once per test session under the shared mock runtime.

Plans are cached (imports of pulumi_aws dominate; one process runs all four stacks). The
helpers live in :mod:`stack_helpers`.
"""

from __future__ import annotations

import pytest

from stack_helpers import run

_CACHE: dict = {}


@pytest.fixture(scope="session")
def plans():
    """stack name → CapturedPlan of its stack file (computed lazily, once)."""

    class Plans(dict):
        def __missing__(self, stack):
            self[stack] = run(stack)
            return self[stack]

    return _CACHE.setdefault("plans", Plans())
