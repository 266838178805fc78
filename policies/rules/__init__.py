"""The rules, one module per area; importing this package registers them all in
:data:`policies.registry.REGISTRY`."""

from . import cache, database, exposure, kafka, loadbalancer, logs, secrets, tags  # noqa: F401
