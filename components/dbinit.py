"""One-off task that creates a service's database on the shared PostgreSQL server.

Seed 000 §5.3/§5.4: all three repos share one PostgreSQL server; each service has its own
database (``somaagent01``, ``somabrain``, ``somafractalmemory``, ``keycloak``, ``spicedb``).
Neither Keycloak, SpiceDB nor Django migrations create the database itself, so the first one-off
task of each of those services runs ``createdb`` with the official PostgreSQL 16 client image,
idempotently (exit 0 when the database exists). The password comes from the ``PGPASSWORD``
secret reference (libpq environment, PostgreSQL docs §34.15), never a literal.
"""

from __future__ import annotations

import pulumi

from .spec import OneOffTask

#: PostgreSQL 16 client image, pinned by tag.
POSTGRES_IMAGE = "postgres:16.6"

_SCRIPT = (
    'psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = \'$SOMA_CREATE_DB\'" | grep -q 1'
    ' || createdb "$SOMA_CREATE_DB"'
)


def create_database_task(
    database: str,
    *,
    host: pulumi.Input[str],
    port: int,
    user: str,
    password_ref: pulumi.Input[str],
    sslmode: str,
) -> OneOffTask:
    """A :class:`OneOffTask` named ``createdb`` creating ``database`` if missing.

    ``host``/``port``/``user``: the server; ``password_ref``: reference to the password
    (``ref+awssecrets://…`` or ``${VAR}``); ``sslmode``: libpq ``sslmode`` (``require`` on RDS,
    ``disable`` on the local docker network).
    """
    if not database.isidentifier():
        raise ValueError(f"database name {database!r} must be a plain identifier")
    return OneOffTask(
        name="createdb",
        image=POSTGRES_IMAGE,
        command=("sh", "-c", _SCRIPT),
        extra_env={"PGHOST": host, "PGPORT": str(port), "PGUSER": user, "PGSSLMODE": sslmode,
                   "SOMA_CREATE_DB": database},
        extra_secrets={"PGPASSWORD": password_ref},
    )
