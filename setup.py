"""Build mapping: one import name, ``somastack_deploy``.

The repository keeps the card's top-level folders (``config_contract/``, ``components/``,
``stacks/``, ``policies/``, ``checks/``, ``harness/``) and the data folders ``assets/`` and
``examples/``; the build maps each into the one namespace (``somastack_deploy.config_contract``
is ``config_contract/``, ``somastack_deploy.assets`` is ``assets/``, and so on), so the wheel adds
exactly one top-level import name.

Files read at run time (located by :mod:`somastack_deploy.packagedata`) are package data,
declared here only (a ``[tool.setuptools.package-data]`` table in ``pyproject.toml`` would
replace this one): every file under the :data:`DATA_TREES` ships, whatever its name, so a new
recipe or asset is included without editing this file (``__pycache__`` folders excepted);
their sub-folders are listed as (namespace) packages, which is how setuptools wants data
folders declared. :data:`CODE_DATA` are the data files kept beside code in every package.
Everything else is in ``pyproject.toml``.
"""

import os

from setuptools import find_namespace_packages, find_packages, setup

MAPPED = ("config_contract", "components", "stacks", "policies", "checks", "harness", "assets", "examples")
#: Folders (repo path, package) whose every file is package data.
DATA_TREES = (("assets", "somastack_deploy.assets"), ("examples", "somastack_deploy.examples"),
              (os.path.join("harness", "install"), "somastack_deploy.harness.install"))

packages = find_packages(include=["somastack_deploy", "somastack_deploy.*"])
package_dir = {}
for top in MAPPED:
    package_dir[f"somastack_deploy.{top}"] = top
    packages += [f"somastack_deploy.{p}" for p in find_packages(include=[top, f"{top}.*"])]

#: Data files beside the code, in every package.
CODE_DATA = ["*.json", "*.yaml", "*.rego", "*.zed", "*.txt"]

package_data = {"": CODE_DATA, "somastack_deploy.policies": ["PulumiPolicy.yaml"]}
for folder, package in DATA_TREES:
    for sub in [""] + find_namespace_packages(where=folder, exclude=["*__pycache__*"]):
        name = f"{package}.{sub}" if sub else package
        if name not in packages:
            packages.append(name)
        package_data[name] = ["*", ".*"]  # dotfiles too (assets/opa/.manifest: the OPA bundle manifest)

setup(packages=packages, package_dir=package_dir, package_data=package_data,
      exclude_package_data={"": ["*.pyc"]})
