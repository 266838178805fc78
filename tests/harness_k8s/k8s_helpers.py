"""Helpers shared by the Kubernetes tests (imported as ``k8s_helpers``: test dirs are not
packages)."""

from __future__ import annotations

import time

import pytest


def wait_for(probe, *, timeout_s: float = 90.0, interval_s: float = 0.5, what: str = "condition"):
    """Call ``probe()`` until it returns a truthy value (returned) or ``timeout_s`` passes
    (the test fails naming ``what`` and the last value)."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval_s)
    pytest.fail(f"{what} not reached within {timeout_s:.0f} s (last: {last!r})", pytrace=False)
