"""Build/install helpers for the JVM and Go services of the harness (Kafka, Keycloak, OPA,
SpiceDB) and the files those builds need (``kafka/pom.xml``, ``spicedb/go.mod``).

See :mod:`somastack_deploy.harness.install.tools`.
"""

from pathlib import Path

#: This directory (holds ``kafka/pom.xml`` and the ``spicedb`` wrapper module).
INSTALL_DIR = Path(__file__).resolve().parent
