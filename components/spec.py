"""Target-neutral description of a containerised service, and the runtime interface.

The infrastructure components (:mod:`somastack_deploy.components.network`, :mod:`somastack_deploy.components.database`, …) are
shared by every target. The service components (Keycloak, SpiceDB, OPA, Milvus, the app
services) describe *what* runs as a :class:`ServiceSpec` and hand it to a
:class:`ServiceRuntime`, which decides *how*: an ECS task definition + service
(``stacks/fargate``), a Kubernetes Deployment + Service + Jobs (``stacks/eks``) or a docker
container (``stacks/local``). That keeps the target-specific resources out of the components.

Secrets: ``ServiceSpec.secrets`` maps an environment variable name to a *reference*
(``ref+awssecrets://NAME#/KEY``, ``ref+vault://PATH#/KEY``, ``${VAR}``, ``file:///…``), never a
value (VIBE Rule 164, seed 000 §4). Each runtime resolves references the target's own way
(task definition ``secrets``, Kubernetes ``secretKeyRef``, ``*_FILE`` files); none puts a
secret into a plain environment variable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pulumi

from somastack_deploy.config_contract.grammar.references import parse_reference



@dataclass(frozen=True, kw_only=True)
class HealthCheck:
    """How a runtime decides that a container is healthy.

    ``path``: HTTP GET on ``port`` (default: the service port), 2xx/3xx = healthy; used by
    Kubernetes ``httpGet`` probes. ``command``: exec check, exit 0 = healthy; used by ECS and
    docker, which only run commands (when absent they run ``curl -fsS`` on ``path``). At least
    one is given. Times are seconds.
    """

    path: str | None = None
    port: int | None = None
    command: tuple[str, ...] | None = None
    interval_s: int = 15
    timeout_s: int = 5
    retries: int = 5
    start_period_s: int = 60

    def __post_init__(self) -> None:
        if self.path is None and self.command is None:
            raise ValueError("a health check needs a path or a command")

    def exec_command(self, service_port: int) -> tuple[str, ...]:
        """The exec form for ECS/docker: ``command`` or a ``curl -fsS`` on ``path``."""
        if self.command is not None:
            return self.command
        return ("CMD-SHELL", f"curl -fsS http://127.0.0.1:{self.port or service_port}{self.path} >/dev/null || exit 1")


@dataclass(frozen=True, kw_only=True)
class Sizing:
    """Resources of one service task/pod.

    ``cpu_units``: ECS CPU units (1024 = 1 vCPU); ``memory_mib``: MiB; ``ephemeral_storage_gib``:
    GiB (Fargate gives 20 by default; 21-200 is set explicitly); ``desired_count``: replicas. Seed 001 §3.2 gives the PROD minimum
    per service: 4 vCPU, 16 GB, 30 GB.
    """

    cpu_units: int = 1024
    memory_mib: int = 2048
    ephemeral_storage_gib: int = 20
    desired_count: int = 1

    @property
    def k8s_cpu(self) -> str:
        """CPU as a Kubernetes quantity (millicores), e.g. ``"4000m"``."""
        return f"{self.cpu_units * 1000 // 1024}m"

    @property
    def k8s_memory(self) -> str:
        """Memory as a Kubernetes quantity, e.g. ``"16384Mi"``."""
        return f"{self.memory_mib}Mi"


@dataclass(frozen=True, kw_only=True)
class OneOffTask:
    """A command that must run to completion before the service starts (a migration).

    ``image`` defaults to the service image; the task gets the service's env and secrets plus
    ``extra_env`` / ``extra_secrets`` (references). Runtimes: Kubernetes Job (EKS), init container with condition ``SUCCESS``
    (Fargate), attached container that must exit 0 (docker).
    """

    name: str
    command: tuple[str, ...]
    image: str | None = None
    extra_env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    extra_secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)


@dataclass(kw_only=True)
class ServiceSpec:
    """One containerised service, target-neutral.

    - ``key``: topology service key (``agent``, ``keycloak``, …) used as the DNS name.
    - ``image``: image pinned by tag (``repo:tag``); ``port``: container port (seed 001 §1.1).
    - ``protocol``: wire protocol of ``port`` (``http``, ``grpc``, ``postgresql``, …).
    - ``env``: plain, non-secret variables (an ``Output[dict]`` when rendered from endpoints).
    - ``secrets``: env var name → reference (see module docstring); values may be Outputs.
    - ``init``: one-off tasks run in order before the service starts (migrations).
    - ``public``: the service is the load balancer's target (the gateway).
    - ``volumes``: volume name → mount path of a data directory that must survive the
      replacement of the task/pod/container. Every runtime backs each one with durable storage:
      a docker named volume (local), an EFS access point (Fargate), a PersistentVolumeClaim
      (EKS). The policy rule ``stateful-data-durable`` checks the result.
    - ``volume_owner``: POSIX ``(uid, gid)`` that owns the volumes' root directories and that
      the process writes them as (the EFS access point's POSIX user).
    - ``singleton``: exactly one instance may run at a time (a standalone server whose data
      directory cannot be shared, e.g. Milvus with embedded etcd): runtimes stop the old
      instance before they start the new one (ECS minimum healthy 0 % / maximum 100 %).
    - ``task_policy``: IAM policy document (JSON) the service's role needs (S3 for Milvus/OPA).
    - ``extra_ports``: further container ports (health/management).
    - ``entrypoint``: the image's entrypoint, for runtimes that wrap it to load secrets from
      files (docker); ``None``: the image reads ``NAME_FILE`` itself.
    """

    key: str
    image: str
    port: int
    protocol: str = "http"
    command: pulumi.Input[Sequence[str]] | None = None
    env: pulumi.Input[Mapping[str, str]] = field(default_factory=dict)
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    health: HealthCheck
    sizing: Sizing = field(default_factory=Sizing)
    init: Sequence[OneOffTask] = ()
    public: bool = False
    volumes: Mapping[str, str] = field(default_factory=dict)
    volume_owner: tuple[int, int] = (0, 0)
    singleton: bool = False
    task_policy: pulumi.Input[str] | None = None
    extra_ports: Sequence[int] = ()
    entrypoint: tuple[str, ...] | None = None


@dataclass(kw_only=True)
class DeployedService:
    """What a runtime returns for a deployed service.

    ``host``: DNS name other services use; ``port``/``protocol`` as in the spec;
    ``ready``: the resources a dependent must wait for (its one-off tasks and the service).
    """

    host: pulumi.Output[str]
    port: int
    protocol: str
    ready: list[pulumi.Resource]


class ServiceRuntime(Protocol):
    """Places a :class:`ServiceSpec` on a target. Implemented in ``stacks/<target>/runtime.py``.

    ``deploy`` creates the target's resources with ``parent`` as their parent and
    ``depends_on`` as extra dependencies, and returns a :class:`DeployedService`.
    ``target`` is the ``SA01_DEPLOYMENT_TARGET`` value (``FARGATE``, ``EKS``, ``LOCAL``).
    ``internal_tls`` says whether managed endpoints (RDS, ElastiCache, MSK) require TLS.
    """

    target: str
    internal_tls: bool

    def deploy(
        self,
        name: str,
        spec: ServiceSpec,
        *,
        parent: pulumi.Resource,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> DeployedService: ...

    def host_of(self, key: str) -> pulumi.Input[str]:
        """The DNS name service ``key`` gets on this target (known before it is deployed)."""
        ...


def parse_aws_secret_ref(ref: str) -> tuple[str, str | None]:
    """Split ``ref+awssecrets://NAME_OR_ARN#/KEY`` into ``(name_or_arn, key or None)``, parsed by
    the one reference grammar (:func:`...config_contract.grammar.references.parse_reference`).

    Raises ``ValueError`` (naming the scheme, not the value) when ``ref`` is not of that form,
    when its key is nested (``#/a/b``: the JSON secret is read one level deep) or when it carries
    a query (``?region=``/``?version_stage=``: these components read the stack's region and
    ``AWSCURRENT``).
    """
    parsed = parse_reference(ref)
    if parsed is None or parsed.scheme != "awssecrets":
        raise ValueError("not a ref+awssecrets:// reference")
    if len(parsed.key) > 1:
        raise ValueError("ref+awssecrets://: a nested key (#/a/b) is not supported here")
    if parsed.params:
        raise ValueError("ref+awssecrets://: a query (?region=, ?version_stage=) is not supported here")
    return parsed.path, (parsed.key[0] if parsed.key else None)


def aws_secret_ref(name_or_arn: str, key: str | None = None) -> str:
    """Build ``ref+awssecrets://NAME_OR_ARN#/KEY`` (the ``vals`` convention)."""
    return f"ref+awssecrets://{name_or_arn}" + (f"#/{key}" if key else "")


def gated(value: pulumi.Input, gate: pulumi.Output) -> pulumi.Output:
    """``value`` as an Output that resolves only after ``gate`` resolved without error.

    Used to hold back a resource's registration until the contract check in ``gate`` passed:
    if ``gate``'s apply raises, no resource taking a gated input is ever registered.
    """
    return pulumi.Output.all(gate, value).apply(lambda pair: pair[1])


@dataclass(kw_only=True)
class PostgresEndpoint:
    """How services reach PostgreSQL: ``host``, ``port``, master ``user``, ``password_ref``
    (reference), libpq ``sslmode`` (``require`` on RDS, ``disable`` on the local network)."""

    host: pulumi.Input[str]
    port: int
    user: str
    password_ref: pulumi.Input[str]
    sslmode: str


@dataclass(kw_only=True)
class RedisEndpoint:
    """How services reach Redis: ``host``, ``port``, ``tls`` (``rediss://``), ``password_ref``;
    ``cluster``: the host is a Redis Cluster's configuration endpoint (clients must speak the
    cluster protocol)."""

    host: pulumi.Input[str]
    port: int
    tls: bool
    password_ref: pulumi.Input[str]
    cluster: bool = False


@dataclass(kw_only=True)
class KafkaEndpoint:
    """How services reach Kafka: ``brokers`` (comma-separated ``host:port``), ``tls``, ``auth``
    (``iam`` for MSK SASL/IAM, ``none`` on the local network); ``client_policy``: IAM policy
    JSON the clients' roles need (MSK IAM), else None."""

    brokers: pulumi.Input[str]
    tls: bool
    auth: str
    client_policy: pulumi.Input[str] | None = None
