"""Helpers shared by the tests of tests/harness_jvm_go."""

from __future__ import annotations

from somastack_deploy.harness.manager import Harness


def secret_values(h: Harness, *services: str) -> list[str]:
    """Every generated credential value of ``services`` (for planted-secret absence checks)."""
    creds = h.credentials()
    return [v for svc in services for v in creds.get(svc, {}).values()]
