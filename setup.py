"""Build mapping: one import name, ``somastack_deploy``.

The repository keeps the card's top-level folders (``config_contract/``, ``components/``,
``stacks/``, ``policies/``, ``checks/``, ``harness/``); the build maps each into the one
namespace (``somastack_deploy.config_contract`` is ``config_contract/``, and so on), so the
wheel adds exactly one top-level import name. Everything else is in ``pyproject.toml``.
"""

from setuptools import find_packages, setup

MAPPED = ("config_contract", "components", "stacks", "policies", "checks", "harness")

packages = find_packages(include=["somastack_deploy", "somastack_deploy.*"])
package_dir = {}
for top in MAPPED:
    package_dir[f"somastack_deploy.{top}"] = top
    packages += [f"somastack_deploy.{p}" for p in find_packages(include=[top, f"{top}.*"])]

setup(packages=packages, package_dir=package_dir)
