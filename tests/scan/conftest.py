"""Scan tests run inside their tmp dir, so ``run_scan(".")`` reports paths as a user running
``somastack-deploy preflight --scan .`` from a repository root sees them."""

import pytest


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
