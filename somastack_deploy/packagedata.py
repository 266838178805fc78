"""Where the files the toolkit reads at run time live: the one owner of package data.

Everything is located through :func:`importlib.resources.files`, so the same call works from a
source checkout (editable install: ``setup.py`` maps the repo's folders into the namespace) and
from an installed wheel (the files are package data inside ``somastack_deploy``):

============================================  =====================================================
package                                       repo folder and contents
============================================  =====================================================
``somastack_deploy.assets``                   ``assets/``: Kafka topics, Keycloak realm, OPA policies,
                                              SpiceDB schema (what the repo declares about services)
``somastack_deploy.examples``                 ``examples/``: the bundled example env files
``somastack_deploy.harness.install``          ``harness/install/``: build recipes (Kafka ``pom.xml``,
                                              SpiceDB and Pulumi CLI Go modules, ``build.sh`` …)
``somastack_deploy.policies``                 ``policies/``: the CrossGuard pack (``PulumiPolicy.yaml``)
============================================  =====================================================

These files are read-only at run time (in a wheel install they are inside site-packages): a
build copies a recipe into a stage directory under the cache before it writes anything.
Every function returns an absolute :class:`pathlib.Path`; it raises :class:`FileNotFoundError`
naming the package when the data is not on the file system (a zip import is not supported).
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

ASSETS = "somastack_deploy.assets"
EXAMPLES = "somastack_deploy.examples"
INSTALL = "somastack_deploy.harness.install"
POLICIES = "somastack_deploy.policies"


def package_dir(package: str) -> Path:
    """The directory of ``package`` (a dotted name of one of this distribution's packages) on
    the file system. Raises FileNotFoundError when it is not a directory on disk."""
    root = importlib.resources.files(package)
    path = Path(str(root))
    if not isinstance(root, Path) and not path.is_dir():
        raise FileNotFoundError(f"{package}: package data is not on the file system ({root!r})")
    return path


def assets_dir() -> Path:
    """The declared service assets (repo ``assets/``): ``kafka/topics.yaml``,
    ``keycloak/somastack-realm.json``, ``opa/``, ``spicedb/schema.zed``."""
    return package_dir(ASSETS)


def examples_dir() -> Path:
    """The bundled example configurations (repo ``examples/``: ``*.env``, ``seeds/*.env``)."""
    return package_dir(EXAMPLES)


def install_recipe(*parts: str) -> Path:
    """A file or folder of the harness build recipes (repo ``harness/install/``), e.g.
    ``install_recipe("kafka", "pom.xml")``; without ``parts`` the recipes folder itself."""
    return package_dir(INSTALL).joinpath(*parts)


def policy_pack_dir() -> Path:
    """The CrossGuard policy pack folder (``PulumiPolicy.yaml`` and ``__main__.py``)."""
    return package_dir(POLICIES)
