"""The rules, one module per area; importing this package registers them all in
:data:`somastack_deploy.policies.registry.REGISTRY`, in the order below (the order of reports)."""

from . import secrets  # noqa: F401  isort: skip
from . import database  # noqa: F401  isort: skip
from . import exposure  # noqa: F401  isort: skip
from . import loadbalancer  # noqa: F401  isort: skip
from . import cache  # noqa: F401  isort: skip
from . import kafka  # noqa: F401  isort: skip
from . import logs  # noqa: F401  isort: skip
from . import state  # noqa: F401  isort: skip
from . import tags  # noqa: F401  isort: skip
