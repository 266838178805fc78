"""The one owner of run-time files (:mod:`somastack_deploy.packagedata`) points at the right
folders; in this editable install they are the checkout's (tests/packaging/test_wheel.py checks
the installed wheel's)."""

from __future__ import annotations

from pathlib import Path

from somastack_deploy import packagedata

REPO = Path(__file__).resolve().parents[2]


def test_each_locator_names_its_folder():
    assert packagedata.assets_dir() == REPO / "assets"
    assert (packagedata.assets_dir() / "kafka" / "topics.yaml").is_file()
    assert (packagedata.assets_dir() / "opa" / ".manifest").is_file()
    assert packagedata.examples_dir() == REPO / "examples"
    assert (packagedata.examples_dir() / "dev-standalone-local.env").is_file()
    assert packagedata.install_recipe("kafka", "pom.xml") == REPO / "harness" / "install" / "kafka" / "pom.xml"
    assert packagedata.install_recipe() == REPO / "harness" / "install"
    assert (packagedata.policy_pack_dir() / "PulumiPolicy.yaml").is_file()


def test_consumers_read_through_the_locator():
    from somastack_deploy.checks.drift.services import REPO_ASSETS
    from somastack_deploy.harness.cli import PULUMI_BUILD
    from somastack_deploy.harness.install import INSTALL_DIR
    from somastack_deploy.harness.install.tools import assets_dir

    assert REPO_ASSETS == assets_dir() == packagedata.assets_dir()
    assert INSTALL_DIR == packagedata.install_recipe()
    assert PULUMI_BUILD == packagedata.install_recipe("pulumi", "build.sh") and PULUMI_BUILD.is_file()
