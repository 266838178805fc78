"""Stateful engines keep their data on a durable volume or in a managed store.

A container of a known stateful engine whose data directory sits on the container's ephemeral
disk (or on a volume that dies with the task/pod/host) loses its data at the first
replacement: an ECS force-new-deployment, a Kubernetes rollout restart, a ``docker rm``. That
is exactly what the resiliency test does (issue 12: Milvus with embedded etcd on Fargate/EKS).

Engines and the data directories the rule requires to be durable (upstream docs / images):

- Milvus standalone (``milvusdb/milvus``, ``milvus run standalone``): embedded etcd
  (``ETCD_USE_EMBED=true``) → ``ETCD_DATA_DIR`` (default ``/var/lib/milvus/etcd``); the local
  message queue RocksMQ (``MQ_TYPE`` unset/``default``/``rocksmq``) → ``ROCKSMQ_PATH`` (default
  ``/var/lib/milvus/rdb_data``); local object storage (``COMMON_STORAGETYPE=local``) →
  ``LOCALSTORAGE_PATH`` (default ``/var/lib/milvus/data``). External etcd, Pulsar/Kafka and S3
  are managed stores: nothing to check.
- etcd: ``--data-dir`` / ``ETCD_DATA_DIR`` (default ``/default.etcd``, the working directory).
- Kafka: ``KAFKA_LOG_DIRS`` / ``KAFKA_CFG_LOG_DIRS`` (image defaults: ``apache/kafka``
  ``/tmp/kafka-logs``, ``confluentinc/cp-kafka`` ``/var/lib/kafka/data``, ``bitnami/kafka``
  ``/bitnami/kafka``).
- PostgreSQL server: ``PGDATA`` (default ``/var/lib/postgresql/data``); a container of the
  image that runs a client (``createdb``, ``psql``, ``sh -c …``) is not a server.
- Redis with persistence: ``--dir`` (default ``/data``) unless persistence is off
  (``--save ""`` and no ``--appendonly yes``).
- Keycloak with the dev-file store (``KC_DB`` / ``--db`` unset or ``dev-file``):
  ``/opt/keycloak/data``; ``KC_DB=postgres`` etc. is a managed store.
- SpiceDB ``serve`` with the ``memory`` datastore (the default): no directory can make it
  durable; use ``postgres`` (or another persistent datastore).

Durable: an ECS task volume with ``efsVolumeConfiguration`` (or FSx for Windows); a Kubernetes
volume from a ``persistentVolumeClaim`` or a StatefulSet ``volumeClaimTemplates`` entry; a
docker named volume (``volumeName``) or bind mount (``hostPath``; the local target's host is
the state). Not durable: ECS bind/docker volumes (one container instance), EBS volumes
configured at launch (one per task, deleted with it), ``emptyDir``/``hostPath`` in Kubernetes,
``tmpfs``. One-off containers (ECS ``essential: false``, docker ``mustRun: false``) are not
servers and are skipped.

Sources: Milvus docs "Configure etcd/RocksMQ/Local storage" and "Run Milvus standalone"; etcd
"Configuration flags"; Apache Kafka ``log.dirs``; the postgres image's ``PGDATA``; Redis
"Persistence"; Keycloak "Configuring the database" (``dev-file`` default); SpiceDB
"Datastores"; Amazon ECS "Use Amazon EFS volumes"; Kubernetes "Persistent Volumes",
"StatefulSets".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..registry import NotApplicable, ResourceInput, Rule, Unknown
from ._env import ecs_container_definitions
from .secrets import DOCKER_CONTAINER, ECS_TASK_DEFINITION, K8S_POD_SPEC

K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment"
K8S_STATEFULSET = "kubernetes:apps/v1:StatefulSet"
EPHEMERAL = "the container's ephemeral disk"


@dataclass(frozen=True)
class Mount:
    """A mount of a container: ``path`` (container path), ``durable``, ``what`` (the backing,
    for messages)."""

    path: str
    durable: bool
    what: str


@dataclass
class Container:
    """What the rule needs of one container: ``name``; ``hints``: image reference and other
    names the engine is recognised by; ``argv`` (entrypoint + command/args); ``env``; ``mounts``."""

    name: str
    hints: list[str]
    argv: list[str]
    env: dict[str, str]
    mounts: list[Mount] = field(default_factory=list)


def _repo(image: str) -> str:
    """``postgres`` of ``docker.io/library/postgres:16@sha256:…``; '' for an image ID."""
    if not image or image.startswith("sha256:"):
        return ""
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[0].lower()


_ENGINE_WORDS = (("milvus", "milvus"), ("etcd", "etcd"), ("cp-kafka", "kafka"), ("cp-server", "kafka"),
                 ("kafka", "kafka"), ("postgresql", "postgres"), ("postgres", "postgres"), ("postgis", "postgres"),
                 ("redis", "redis"), ("valkey", "redis"), ("keycloak", "keycloak"), ("spicedb", "spicedb"))
_SERVER_BINARIES = {"milvus": "milvus", "etcd": "etcd", "kafka-server-start.sh": "kafka", "postgres": "postgres",
                    "redis-server": "redis", "valkey-server": "redis", "kc.sh": "keycloak", "spicedb": "spicedb"}


def engine_of(c: Container) -> str | None:
    """The stateful engine a container runs (``milvus``, ``etcd``, ``kafka``, ``postgres``,
    ``redis``, ``keycloak``, ``spicedb``) or None: from the image repository (or another hint),
    else from the server binary in ``argv``."""
    for hint in c.hints:
        word = _repo(hint) if ("/" in hint or ":" in hint) else hint.lower()
        for token, engine in _ENGINE_WORDS:
            if re.search(rf"(^|[-_/]){re.escape(token)}($|[-_:])", word):
                return engine
    if c.argv:
        return _SERVER_BINARIES.get(c.argv[0].rsplit("/", 1)[-1])
    return None


def _flag(argv: Sequence[str], name: str) -> str | None:
    """Value of ``--name VALUE`` or ``--name=VALUE`` in ``argv`` (last wins)."""
    value = None
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith(name + "="):
            value = arg.split("=", 1)[1]
    return value


def _first_is(argv: Sequence[str], *names: str) -> bool:
    return not argv or argv[0].rsplit("/", 1)[-1] in names or argv[0].startswith("-")


def data_paths(engine: str, c: Container) -> list[tuple[str, str]]:
    """``[(path, what)]`` that must be durable for ``engine`` in ``c`` (empty: stateless as
    configured, a managed store, or a client). A path ``""`` means no directory can help."""
    env, argv = c.env, c.argv
    if engine == "milvus":
        if "standalone" not in argv:
            return []  # cluster roles keep state in external etcd / MQ / object storage
        out = []
        if str(env.get("ETCD_USE_EMBED", "")).lower() == "true":
            out.append((env.get("ETCD_DATA_DIR") or "/var/lib/milvus/etcd", "embedded etcd"))
        if str(env.get("MQ_TYPE", "default")).lower() in ("default", "rocksmq", ""):
            out.append((env.get("ROCKSMQ_PATH") or "/var/lib/milvus/rdb_data", "RocksMQ"))
        if str(env.get("COMMON_STORAGETYPE", "")).lower() == "local":
            out.append((env.get("LOCALSTORAGE_PATH") or "/var/lib/milvus/data", "local storage"))
        return out
    if engine == "etcd":
        if argv and argv[0].rsplit("/", 1)[-1] in ("etcdctl", "etcdutl", "sh", "bash"):
            return []
        return [(_flag(argv, "--data-dir") or env.get("ETCD_DATA_DIR") or "/default.etcd", "etcd data")]
    if engine == "kafka":
        if argv and argv[0].endswith(".sh") and argv[0].rsplit("/", 1)[-1] != "kafka-server-start.sh":
            return []
        dirs = env.get("KAFKA_LOG_DIRS") or env.get("KAFKA_CFG_LOG_DIRS")
        if not dirs:
            repo = next((_repo(h) for h in c.hints if _repo(h)), "")
            dirs = {"cp-kafka": "/var/lib/kafka/data", "cp-server": "/var/lib/kafka/data"}.get(repo, "/tmp/kafka-logs")
        return [(d.strip(), "Kafka log.dirs") for d in dirs.split(",") if d.strip()]
    if engine == "postgres":
        if not _first_is(argv, "postgres", "docker-entrypoint.sh"):
            return []
        return [(env.get("PGDATA") or "/var/lib/postgresql/data", "PGDATA")]
    if engine == "redis":
        if not (_first_is(argv, "redis-server", "valkey-server", "docker-entrypoint.sh") or argv[0].endswith(".conf")):
            return []
        save = _flag(argv, "--save")
        aof = (_flag(argv, "--appendonly") or "no").lower() == "yes"
        if not aof and save is not None and save.strip("'\" ") == "":
            return []  # persistence off: a pure cache
        return [(_flag(argv, "--dir") or "/data", "AOF" if aof else "RDB snapshots")]
    if engine == "keycloak":
        if not any(a in ("start", "start-dev") for a in argv):
            return []
        db = _flag(argv, "--db") or env.get("KC_DB") or "dev-file"
        return [("/opt/keycloak/data", "dev-file store")] if db == "dev-file" else []
    if engine == "spicedb":
        if "serve" not in argv:
            return []
        store = _flag(argv, "--datastore-engine") or env.get("SPICEDB_DATASTORE_ENGINE") or "memory"
        return [("", "memory datastore")] if store == "memory" else []
    return []


def _covering(mounts: Sequence[Mount], path: str) -> Mount | None:
    """The deepest mount whose path is ``path`` or a parent of it."""
    best = None
    for m in mounts:
        root = m.path.rstrip("/") or "/"
        if path == root or path.startswith(root.rstrip("/") + "/"):
            if best is None or len(root) > len(best.path.rstrip("/")):
                best = m
    return best


def findings(c: Container) -> list[str]:
    """Failure messages for one container (empty when its state is durable or it has none)."""
    engine = engine_of(c)
    if engine is None:
        return []
    out = []
    for path, what in data_paths(engine, c):
        if not path:
            out.append(f"service {c.name}: {engine} {what} keeps its data in process memory; "
                       "configure a persistent datastore (a managed store such as RDS PostgreSQL)")
            continue
        m = _covering(c.mounts, path)
        if m is not None and m.durable:
            continue
        where = EPHEMERAL if m is None else f"{m.what} mounted at {m.path}"
        out.append(f"service {c.name}: {engine} data directory {path} ({what}) is on {where}, lost when the "
                   "container is replaced; mount a durable volume (EFS on ECS, a PersistentVolumeClaim on "
                   "Kubernetes, a named volume on docker) or use a managed store")
    return out


# -- resource shapes ----------------------------------------------------------------------

def _env_map(items: Any, key: str = "value") -> dict[str, str]:
    out = {}
    for e in items or []:
        if isinstance(e, Mapping) and "name" in e and key in e and e[key] is not None:
            out[str(e["name"])] = str(e[key])
    return out


def _ecs_volume(v: Mapping[str, Any]) -> tuple[bool, str]:
    if v.get("efsVolumeConfiguration"):
        return True, "EFS volume"
    if v.get("fsxWindowsFileServerVolumeConfiguration"):
        return True, "FSx volume"
    if v.get("configuredAtLaunch"):
        return False, "an EBS volume configured at launch (one per task)"
    if v.get("dockerVolumeConfiguration"):
        return False, "a docker volume of one container instance"
    return False, "a bind mount of the task's host"


def ecs_containers(res: ResourceInput) -> list[Container]:
    """The long-running containers of an ECS task definition (``essential`` not false)."""
    defs = ecs_container_definitions(res)
    volumes = {str(v.get("name")): _ecs_volume(v) for v in res.props.get("volumes") or [] if isinstance(v, Mapping)}
    out = []
    for d in defs:
        if not isinstance(d, Mapping) or d.get("essential") is False:
            continue
        mounts = []
        for mp in d.get("mountPoints") or []:
            durable, what = volumes.get(str(mp.get("sourceVolume")), (False, "an undeclared volume"))
            mounts.append(Mount(str(mp.get("containerPath", "")), durable, what))
        out.append(Container(name=str(d.get("name", "?")), hints=[str(d.get("image", ""))],
                             argv=[*map(str, d.get("entryPoint") or []), *map(str, d.get("command") or [])],
                             env=_env_map(d.get("environment")), mounts=mounts))
    return out


def docker_containers(res: ResourceInput) -> list[Container]:
    """The docker container as one :class:`Container` (none for a one-off ``mustRun: false``).
    pulumi-docker's ``image`` is often an image ID: the container's name and its
    ``com.somastack.service`` label are further hints."""
    p = res.props
    if p.get("mustRun") is False:
        return []
    mounts = []
    for v in p.get("volumes") or []:
        if v.get("volumeName"):
            mounts.append(Mount(str(v.get("containerPath", "")), True, "docker volume"))
        elif v.get("hostPath"):
            mounts.append(Mount(str(v.get("containerPath", "")), True, "host directory"))
        else:
            mounts.append(Mount(str(v.get("containerPath", "")), False, "an anonymous volume"))
    for m in p.get("mounts") or []:
        kind = str(m.get("type", "volume"))
        durable = kind in ("volume", "bind") and bool(m.get("source"))
        mounts.append(Mount(str(m.get("target", "")), durable, f"a {kind} mount"))
    labels = {str(lb.get("label")): str(lb.get("value")) for lb in p.get("labels") or [] if isinstance(lb, Mapping)}
    name = str(p.get("name") or res.name)
    hints = [str(p.get("image") or ""), labels.get("com.somastack.service", ""), name.rsplit("-", 1)[-1]]
    envs = dict(str(e).split("=", 1) for e in p.get("envs") or [] if "=" in str(e))
    return [Container(name=labels.get("com.somastack.service") or name, hints=[h for h in hints if h],
                      argv=[*map(str, p.get("entrypoints") or []), *map(str, p.get("command") or [])],
                      env=envs, mounts=mounts)]


def k8s_containers(res: ResourceInput) -> list[Container]:
    """The containers of a Deployment / StatefulSet pod template (init containers skipped)."""
    pod = res.get(*K8S_POD_SPEC[res.type])
    if pod is None:
        raise Unknown("pod spec is unknown")
    claims = {str(t.get("metadata", {}).get("name")) for t in res.get("spec", "volumeClaimTemplates", default=[]) or []}
    kinds: dict[str, tuple[bool, str]] = {}
    for v in pod.get("volumes") or []:
        name = str(v.get("name"))
        if v.get("persistentVolumeClaim"):
            kinds[name] = (True, "PersistentVolumeClaim")
        elif v.get("emptyDir") is not None:
            kinds[name] = (False, "an emptyDir volume")
        elif v.get("hostPath"):
            kinds[name] = (False, "a hostPath volume of one node")
        else:
            kind = next((k for k in v if k != "name"), "volume")
            kinds[name] = (False, f"a {kind} volume")
    for name in claims:
        kinds.setdefault(name, (True, "volume claim template"))
    out = []
    for c in pod.get("containers") or []:
        mounts = []
        for vm in c.get("volumeMounts") or []:
            durable, what = kinds.get(str(vm.get("name")), (False, "an undeclared volume"))
            mounts.append(Mount(str(vm.get("mountPath", "")), durable, what))
        out.append(Container(name=str(c.get("name", "?")), hints=[str(c.get("image", ""))],
                             argv=[*map(str, c.get("command") or []), *map(str, c.get("args") or [])],
                             env=_env_map(c.get("env")), mounts=mounts))
    return out


class StatefulDataDurable(Rule):
    """``stateful-data-durable``: A container of a stateful engine keeps its data directory on a durable
    volume or in a managed store."""

    name = "stateful-data-durable"
    description = "A container of a stateful engine keeps its data directory on a durable volume or in a managed store."
    level = "mandatory"
    category = "backup-and-recovery"
    resource_types = (ECS_TASK_DEFINITION, DOCKER_CONTAINER, K8S_DEPLOYMENT, K8S_STATEFULSET)
    source = ("issue 12; seed 001 §3.2-§3.3 ('persistent volume strategy for storage'); Amazon ECS 'Use Amazon EFS "
              "volumes'; Kubernetes 'Persistent Volumes'; Milvus 'Configure etcd'")

    def check(self, res: ResourceInput) -> list[str]:
        """One message per (container, data directory) of a known stateful engine that is not on a
        durable volume (see the module docstring), naming the service (container) and the path."""
        if res.type == ECS_TASK_DEFINITION:
            containers = ecs_containers(res)
        elif res.type == DOCKER_CONTAINER:
            containers = docker_containers(res)
        elif res.type in (K8S_DEPLOYMENT, K8S_STATEFULSET):
            containers = k8s_containers(res)
        else:
            raise NotApplicable()
        return [msg for c in containers for msg in findings(c)]


#: This module's rules, in report order.
RULES: tuple[type[Rule], ...] = (StatefulDataDurable,)
