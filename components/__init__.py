"""Pulumi component resources shared by the three targets (see ``docs/stacks.md``).

Infrastructure: :mod:`~components.network`, :mod:`~components.load_balancer`,
:mod:`~components.database`, :mod:`~components.cache`, :mod:`~components.kafka`,
:mod:`~components.bucket`. Services placed by a :class:`somastack_deploy.components.spec.ServiceRuntime`:
:mod:`~components.keycloak`, :mod:`~components.spicedb`, :mod:`~components.opa`,
:mod:`~components.milvus`, :mod:`~components.app_services` (environment rendered by
:mod:`~components.app_env`, checked by :mod:`~components.contract_gate`).
"""
