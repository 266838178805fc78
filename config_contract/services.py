"""Which services a stack must run, by software mode.

Sources: seed 001 §3.1 (services of the local stack: gateway, Keycloak, PostgreSQL, Redis,
SpiceDB, OPA; SomaBrain and SomaFractalMemory optional in StandAlone), seed 000 §3.2 and §7
(SomaStackClusterMode: Brain+Memory paired, shared auth), seed 001 §2.5 and 002 §4 step 1
(Kafka and Milvus in the cluster stack). Keys are the topology service keys.
"""

from __future__ import annotations

STANDALONE_SERVICES: tuple[str, ...] = ("agent", "postgres", "redis", "keycloak", "spicedb", "opa")
CLUSTER_SERVICES: tuple[str, ...] = STANDALONE_SERVICES + ("kafka", "milvus", "brain", "memory")
#: Infrastructure keys (no app service): what the real-services harness can run here.
INFRASTRUCTURE: tuple[str, ...] = ("postgres", "redis", "kafka", "milvus", "keycloak", "spicedb", "opa", "vault")


def required_services(software_mode: str, *, vault: bool = False) -> tuple[str, ...]:
    """Service keys a stack in ``software_mode`` (``StandAlone`` | ``SomaStackClusterMode``)
    must have; ``vault=True`` adds ``vault`` (a stack whose secrets are ``ref+vault://``).
    Raises ``ValueError`` for an unknown mode."""
    if software_mode == "StandAlone":
        base = STANDALONE_SERVICES
    elif software_mode == "SomaStackClusterMode":
        base = CLUSTER_SERVICES
    else:
        raise ValueError(f"unknown software mode {software_mode!r}")
    return base + (("vault",) if vault else ())
