"""Build/install helpers for the JVM and Go services of the harness (Kafka, Keycloak, OPA,
SpiceDB) and the files those builds need (``kafka/pom.xml``, ``spicedb/go.mod``).

See :mod:`somastack_deploy.harness.install.tools`.
"""

from somastack_deploy.packagedata import install_recipe

#: The recipes folder (holds ``kafka/pom.xml`` and the ``spicedb`` wrapper module), located as
#: package data (:func:`somastack_deploy.packagedata.install_recipe`): read-only at run time.
INSTALL_DIR = install_recipe()
