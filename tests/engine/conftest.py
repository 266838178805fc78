"""Fixtures for the Pulumi-engine tests (docs/engine.md).

These tests need the Pulumi CLI that ``somastack-services install`` builds with
``harness/install/pulumi/build.sh``. When it is missing they FAIL naming the reason (they are
never skipped): a silently skipped engine test would hide a broken install.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import pytest

from somastack_deploy.checks.drift.engine_cli import PulumiCliNotFound, find_cli_root

FIXTURES = Path(__file__).parent / "fixtures"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))  # json_file_resource / program for the inline programs


@pytest.fixture(scope="session")
def pulumi_root() -> Path:
    """Directory whose ``bin/pulumi`` is the built CLI; fails the test when there is none."""
    try:
        return find_cli_root()
    except PulumiCliNotFound as exc:
        pytest.fail(f"Pulumi CLI not built: {exc}", pytrace=False)


@pytest.fixture()
def backend(tmp_path: Path) -> dict:
    """A local file backend in a temp dir: ``{"url", "env", "passphrase"}``.

    ``env`` carries a generated ``PULUMI_CONFIG_PASSPHRASE`` (a planted secret: tests assert it
    never appears in output) and ``PYTHONPATH`` with the fixtures, so that the dynamic provider
    process (``python -m pulumi.dynamic``) can import ``json_file_resource``.
    """
    state = tmp_path / "state"
    state.mkdir()
    passphrase = "pp-" + secrets.token_urlsafe(24)
    return {"url": f"file://{state}", "passphrase": passphrase,
            "env": {"PULUMI_CONFIG_PASSPHRASE": passphrase, "PYTHONPATH": str(FIXTURES),
                    "PULUMI_HOME": str(tmp_path / "pulumi-home")}}
