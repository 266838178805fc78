"""Keycloak (OIDC authentication), seed 001 §1.1: port 20880; §2.3: realm ``somastack``.

Type token ``somastack:auth:Keycloak``. Its database ``keycloak`` lives on the shared
PostgreSQL server (created by a ``createdb`` one-off task before start). Keycloak 26
configuration through ``KC_*`` variables (Keycloak docs "All configuration"): HTTP on 20880
behind the load balancer / service network, health endpoints on the management port 9000,
database password and bootstrap admin password as secret references.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from .dbinit import create_database_task
from .spec import HealthCheck, PostgresEndpoint, ServiceRuntime, ServiceSpec, Sizing

TYPE = "somastack:auth:Keycloak"
PORT = 20880
MANAGEMENT_PORT = 9000
IMAGE = "quay.io/keycloak/keycloak:26.0.7"
DATABASE = "keycloak"

#: Keycloak's image has no curl: probe the management port with bash's /dev/tcp.
_HEALTH_CMD = (
    "CMD-SHELL",
    "exec 3<>/dev/tcp/127.0.0.1/9000 && printf 'GET /health/ready HTTP/1.1\\r\\nHost: localhost\\r\\n"
    "Connection: close\\r\\n\\r\\n' >&3 && grep -q '\"UP\"' <&3",
)


@dataclass(kw_only=True)
class KeycloakArgs:
    """``runtime``: where it runs; ``database``: the shared PostgreSQL; ``admin_password_ref``:
    reference to the bootstrap admin password; ``realm`` (seed 001 §2.3 default ``somastack``);
    ``image`` pinned by tag; ``sizing``."""

    runtime: ServiceRuntime
    database: PostgresEndpoint
    admin_password_ref: str
    realm: str = "somastack"
    image: str = IMAGE
    sizing: Sizing = Sizing()


class Keycloak(pulumi.ComponentResource):
    """Outputs: ``host``, ``port`` (20880), ``protocol`` (``http``), ``url``
    (``http://HOST:20880``), ``realm``."""

    host: pulumi.Output[str]
    port: int
    protocol: str
    url: pulumi.Output[str]
    realm: str

    def __init__(self, name: str, args: KeycloakArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        db = args.database
        jdbc_props = "?sslmode=require" if db.sslmode == "require" else ""
        spec = ServiceSpec(
            key="keycloak", image=args.image, port=PORT, protocol="http",
            command=("start",),
            env=pulumi.Output.all(db.host).apply(lambda h: {
                "KC_DB": "postgres", "KC_DB_URL_HOST": h[0], "KC_DB_URL_PORT": str(db.port),
                "KC_DB_URL_DATABASE": DATABASE, "KC_DB_URL_PROPERTIES": jdbc_props,
                "KC_DB_USERNAME": db.user, "KC_HTTP_ENABLED": "true", "KC_HTTP_PORT": str(PORT),
                "KC_HOSTNAME_STRICT": "false", "KC_PROXY_HEADERS": "xforwarded",
                "KC_HEALTH_ENABLED": "true", "KC_BOOTSTRAP_ADMIN_USERNAME": "admin"}),
            secrets={"KC_DB_PASSWORD": db.password_ref, "KC_BOOTSTRAP_ADMIN_PASSWORD": args.admin_password_ref},
            health=HealthCheck(path="/health/ready", port=MANAGEMENT_PORT, command=_HEALTH_CMD, start_period_s=120),
            sizing=args.sizing,
            init=(create_database_task(DATABASE, host=db.host, port=db.port, user=db.user,
                                       password_ref=db.password_ref, sslmode=db.sslmode),),
            extra_ports=(MANAGEMENT_PORT,), entrypoint=("/opt/keycloak/bin/kc.sh",),
        )
        deployed = args.runtime.deploy(name, spec, parent=self)
        self.host = deployed.host
        self.port = PORT
        self.protocol = "http"
        self.url = deployed.host.apply(lambda h: f"http://{h}:{PORT}")
        self.realm = args.realm
        self.ready = deployed.ready
        self.register_outputs({"host": self.host, "port": self.port, "protocol": self.protocol,
                               "url": self.url, "realm": self.realm})
