"""Which plug-in module runs each service, and dependency ordering.

A plug-in module ``harness/services/<name>.py`` exposes its :class:`somastack_deploy.harness.base.ServiceSpec`
either as a module attribute ``SPEC`` (an instance) or as the one ``ServiceSpec`` subclass
defined in the module whose ``name`` equals the service key. Modules are imported lazily, so a
missing or broken plug-in only fails the services that need it.
"""

from __future__ import annotations

import importlib
import inspect

from somastack_deploy.config_contract.errors import InputError

from .base import ServiceSpec

#: Service key → plug-in module (topology keys of the infrastructure plane).
SERVICE_MODULES: dict[str, str] = {
    "postgres": "somastack_deploy.harness.services.postgres",
    "redis": "somastack_deploy.harness.services.redis",
    "kafka": "somastack_deploy.harness.services.kafka",
    "keycloak": "somastack_deploy.harness.services.keycloak",
    "opa": "somastack_deploy.harness.services.opa",
    "spicedb": "somastack_deploy.harness.services.spicedb",
    "milvus": "somastack_deploy.harness.services.milvus",
    "vault": "somastack_deploy.harness.services.vault",
    "kubernetes": "somastack_deploy.harness.services.kubernetes",
    # AWS APIs LocalStack's community edition serves (Secrets Manager, SSM, ...); not in the topology
    "localstack": "somastack_deploy.harness.services.localstack",
}

ALL_SERVICES: tuple[str, ...] = tuple(SERVICE_MODULES)


class PluginError(RuntimeError):
    """A plug-in module could not be imported or has no ServiceSpec for its key."""


def check_names(names: list[str] | tuple[str, ...]) -> None:
    """Raise :class:`InputError` (exit 2) naming the first unknown service key."""
    for name in names:
        if name not in SERVICE_MODULES:
            raise InputError(f"unknown service (expected one of {', '.join(ALL_SERVICES)})", variable=name)


def load_spec(name: str) -> ServiceSpec:
    """Import the plug-in of ``name`` and return a ServiceSpec instance.

    Raises :class:`InputError` for an unknown key, :class:`PluginError` when the module cannot
    be imported or defines no matching spec.
    """
    check_names([name])
    modname = SERVICE_MODULES[name]
    try:
        module = importlib.import_module(modname)
    except Exception as err:  # a broken plug-in must not break the others
        raise PluginError(f"{name}: plug-in {modname} cannot be imported: {type(err).__name__}: {err}") from None
    spec = getattr(module, "SPEC", None)
    if isinstance(spec, ServiceSpec):
        return spec
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if issubclass(obj, ServiceSpec) and obj is not ServiceSpec and obj.__module__ == modname and obj.name == name and not inspect.isabstract(obj):
            return obj()
    raise PluginError(f"{name}: plug-in {modname} defines no ServiceSpec with name {name!r}")


def resolve_order(names: list[str] | tuple[str, ...], specs: dict[str, ServiceSpec]) -> list[list[str]]:
    """Start levels for ``names`` plus their transitive ``depends_on``: a list of lists, each
    level depending only on earlier levels (names sorted within a level).

    ``specs`` is filled with loaded specs. Raises :class:`PluginError` on a dependency cycle.
    """
    wanted: set[str] = set()
    stack = list(names)
    while stack:
        n = stack.pop()
        if n in wanted:
            continue
        if n not in specs:
            specs[n] = load_spec(n)
        wanted.add(n)
        stack.extend(specs[n].depends_on)
    levels: list[list[str]] = []
    done: set[str] = set()
    while len(done) < len(wanted):
        level = sorted(n for n in wanted - done if set(specs[n].depends_on) <= done)
        if not level:
            raise PluginError(f"dependency cycle among {sorted(wanted - done)}")
        levels.append(level)
        done.update(level)
    return levels
