"""The real-services harness: real PostgreSQL, Redis, Kafka, Keycloak, OPA, SpiceDB, Milvus and
OpenBao servers on this machine, installed from package registries into a cache and run as
tracked child processes. Entry points: ``somastack-services`` (:mod:`harness.cli`), the Python
API :class:`harness.manager.Harness`, the pytest fixtures in :mod:`harness.pytest_plugin`.
Plug-in interface: :mod:`harness.base`; docs: ``docs/harness.md``."""
