"""ECS Fargate runtime: a :class:`somastack_deploy.components.spec.ServiceSpec` → task definition + service.

Per service: a CloudWatch log group with retention, an execution role (pull, logs, read of
exactly the Secrets Manager secrets the service references), a task role (the spec's
``task_policy``), a Fargate task definition, a Cloud Map service (``<key>.<namespace>``,
A records) and an ECS service in the private subnets (no public IP), attached to the ALB
target group when the spec is ``public``, with ``wait_for_steady_state`` so dependents wait.

Secrets (ECS docs "Pass Secrets Manager secrets through Amazon ECS environment variables"):
each reference ``ref+awssecrets://NAME_OR_ARN#/KEY`` (the one reference grammar,
:mod:`somastack_deploy.config_contract.grammar.references`) becomes a task definition ``secrets``
entry ``{"name": VAR, "valueFrom": "<secret ARN>:KEY::"}``; a secret never goes to
``environment``. Other reference kinds (``ref+vault://``, ``${VAR}``) cannot be resolved by
ECS and are rejected.

One-off tasks (migrations) run as non-essential init containers in the service's task; the
next container waits for ``condition: SUCCESS`` (ECS container dependencies), the app container
for the last one. ECS services are chained in seed 001 §4 order by the caller.

Durable volumes: each of the spec's ``volumes`` gets an EFS access point (root
``/somastack/<key>/<volume>``, owned by and entered as ``spec.volume_owner``) on the stack's
file system (:mod:`somastack_deploy.components.file_system`), a task definition volume with
``efsVolumeConfiguration`` (transit encryption, IAM authorization through the access point) and
a ``mountPoints`` entry; the task role may mount exactly those access points. A ``singleton``
spec deploys with minimum healthy 0 % / maximum 100 % (the old task stops first).

Deployments: the public service (the gateway behind the ALB) uses ECS's native ``BLUE_GREEN``
strategy when the runtime has a :class:`BlueGreen` (two target groups, production and test
listener rules, the ECS infrastructure role for load balancers; bake time before the blue
tasks stop). Services reached through Cloud Map only keep the ``ROLLING`` strategy (ECS
blue/green needs a load balancer or Service Connect); every service has the deployment
circuit breaker with rollback.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from somastack_deploy.components.file_system import FileSystem, client_policy
from somastack_deploy.components.spec import DeployedService, HealthCheck, OneOffTask, ServiceSpec, gated
from somastack_deploy.config_contract.grammar.references import parse_reference, scheme_of

#: ECS allows a health check start period of at most 300 s.
_MAX_START_PERIOD = 300


@dataclass(frozen=True, kw_only=True)
class BlueGreen:
    """What ECS native blue/green needs for the public service (AWS ECS API
    ``AdvancedConfiguration``): ``alternate_target_group_arn`` (green), the
    ``production_listener_rule_arn`` and ``test_listener_rule_arn`` (ALB listener rules that
    forward to both target groups), ``role_arn`` (ECS infrastructure role for load balancers);
    ``bake_time_min``: minutes both revisions stay up after the production traffic shift
    (0-1440), the window for a rollback without a new deployment."""

    alternate_target_group_arn: pulumi.Input[str]
    production_listener_rule_arn: pulumi.Input[str]
    test_listener_rule_arn: pulumi.Input[str]
    role_arn: pulumi.Input[str]
    bake_time_min: int = 5

    def __post_init__(self) -> None:
        if not 0 <= self.bake_time_min <= 1440:
            raise ValueError("blue/green bake time must be 0-1440 minutes")


@dataclass(frozen=True)
class SecretSource:
    """Where a task reads one Secrets Manager secret, and what its execution role must allow.

    ``arn``: the secret's ARN as ECS is given it; ``key``: the JSON key or ``None``;
    ``partial``: ``True`` when this module built ``arn`` from a secret *name* (a partial ARN,
    without the 6-character random suffix Secrets Manager appends to every secret ARN),
    ``False`` when the reference carried a full ARN, which is used as is. The flag is set where
    the ARN is built (:func:`secret_source`), never re-guessed from the ARN's text.
    ``version_stage``: the staging label to read (``AWSPREVIOUS``; ``None``: ECS reads
    ``AWSCURRENT``).
    """

    arn: str
    key: str | None
    partial: bool
    version_stage: str | None = None

    @property
    def value_from(self) -> str:
        """ECS ``valueFrom``: ``<ARN>[:KEY:STAGE:]`` (ECS docs "Pass Secrets Manager secrets
        through Amazon ECS environment variables":
        ``arn:…:secret:NAME:json-key:version-stage:version-id``, empty fields for the defaults)."""
        if not self.key and not self.version_stage:
            return self.arn
        return f"{self.arn}:{self.key or ''}:{self.version_stage or ''}:"

    @property
    def policy_resource(self) -> str:
        """The IAM ``Resource`` that lets the execution role read exactly this secret: the full
        ARN as given, or the partial ARN plus ``-??????`` (the six random characters; Secrets
        Manager docs "Permissions policy examples": ``?`` matches one character)."""
        return f"{self.arn}-??????" if self.partial else self.arn


def _not_readable_by_ecs(ref: str) -> str:
    """What ``ref`` is, for the error message, without its value: the scheme it starts with."""
    scheme = scheme_of(ref)
    if scheme == "awssecrets":
        return "a malformed ref+awssecrets:// reference"
    if scheme == "env":
        return "${VAR}"
    if scheme == "pulumi":
        return "a Pulumi secret (ref+pulumi-secure://…)"
    return f"{scheme}://…" if scheme == "file" else f"ref+{scheme}://…" if scheme else "a literal value"


def secret_source(ref: str, *, partition: str, region: str, account_id: str) -> SecretSource:
    """The :class:`SecretSource` of a ``ref+awssecrets://NAME_OR_ARN[?region=R&version_stage=S][#/KEY]``
    reference (parsed by the one reference grammar,
    :func:`somastack_deploy.config_contract.grammar.references.parse_reference`).

    A name becomes the partial ARN ``arn:<partition>:secretsmanager:<region>:<account>:secret:<name>``
    (``partial=True``; ``?region=`` names another region than the stack's); an ARN (``arn:…``) is
    kept as given (``partial=False``). ``#/KEY`` is the JSON key (ECS reads one top-level key).
    Raises ``ValueError`` for any other reference kind, a malformed reference or a nested key
    (naming the scheme only, never the value)."""
    parsed = parse_reference(ref)
    if parsed is None or parsed.scheme != "awssecrets":
        raise ValueError(f"ECS can only read Secrets Manager references (ref+awssecrets://…), not "
                         f"{_not_readable_by_ecs(ref)}")
    if len(parsed.key) > 1:
        raise ValueError("ECS reads a top-level JSON key of a secret (ref+awssecrets://NAME#/KEY), not a nested "
                         "one (#/a/b)")
    key = parsed.key[0] if parsed.key else None
    stage = parsed.params.get("version_stage") or None
    if parsed.path.startswith("arn:"):
        return SecretSource(arn=parsed.path, key=key, partial=False, version_stage=stage)
    where = parsed.params.get("region") or region
    return SecretSource(arn=f"arn:{partition}:secretsmanager:{where}:{account_id}:secret:{parsed.path}", key=key,
                        partial=True, version_stage=stage)


def value_from(ref: str, *, partition: str, region: str, account_id: str) -> str:
    """ECS ``valueFrom`` for a ``ref+awssecrets://`` reference: ``<ARN>[:KEY:STAGE:]``
    (:attr:`SecretSource.value_from` of :func:`secret_source`; same errors)."""
    return secret_source(ref, partition=partition, region=region, account_id=account_id).value_from


def execution_policy_arn(partition: str) -> str:
    """The AWS managed ``AmazonECSTaskExecutionRolePolicy`` ARN in ``partition`` (``aws``,
    ``aws-cn``, ``aws-us-gov``: the partition is looked up, never assumed)."""
    return f"arn:{partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


def secrets_policy_document(sources: Iterable[SecretSource]) -> str:
    """The execution role's inline policy (JSON, sorted keys): ``secretsmanager:GetSecretValue``
    on exactly the :attr:`SecretSource.policy_resource` of each source (deduplicated, sorted)."""
    resources = sorted({s.policy_resource for s in sources})
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": resources}]}, sort_keys=True)


def _health(hc: HealthCheck, port: int) -> dict:
    return {"command": list(hc.exec_command(port)), "interval": hc.interval_s, "timeout": hc.timeout_s,
            "retries": hc.retries, "startPeriod": min(hc.start_period_s, _MAX_START_PERIOD)}


def container_definitions(*, spec: ServiceSpec, command: Sequence[str] | None, env: Mapping[str, str],
                          secrets: Mapping[str, str], init: Sequence[tuple[OneOffTask, Mapping[str, str], Mapping[str, str]]],
                          log_group: str, region: str) -> list[dict]:
    """The task definition's container definitions (ECS ``RegisterTaskDefinition`` shape).

    ``env``: plain variables; ``secrets``: variable → ``valueFrom``; ``init``: (task, its
    extra env, its extra secrets as ``valueFrom``) in run order. The service container mounts
    each of ``spec.volumes`` (``mountPoints``, ``sourceVolume`` = the volume name, backed by
    EFS in the task definition's ``volumes``). Deterministic (sorted keys)."""
    def logs(prefix: str) -> dict:
        return {"logDriver": "awslogs", "options": {"awslogs-group": log_group, "awslogs-region": region,
                                                      "awslogs-stream-prefix": prefix}}

    def env_list(values: Mapping[str, str]) -> list[dict]:
        return [{"name": k, "value": str(v)} for k, v in sorted(values.items())]

    def secret_list(values: Mapping[str, str]) -> list[dict]:
        return [{"name": k, "valueFrom": v} for k, v in sorted(values.items())]

    defs: list[dict] = []
    previous: str | None = None
    for task, extra_env, extra_secrets in init:
        name = f"{spec.key}-{task.name}"
        d = {"name": name, "image": task.image or spec.image, "essential": False, "command": list(task.command),
             "environment": env_list({**env, **extra_env}), "secrets": secret_list({**secrets, **extra_secrets}),
             "logConfiguration": logs(name), "readonlyRootFilesystem": False}
        if previous:
            d["dependsOn"] = [{"containerName": previous, "condition": "SUCCESS"}]
        defs.append(d)
        previous = name
    main = {
        "name": spec.key, "image": spec.image, "essential": True,
        "portMappings": [{"containerPort": p, "protocol": "tcp"} for p in (spec.port, *spec.extra_ports)],
        "environment": env_list(env), "secrets": secret_list(secrets),
        "healthCheck": _health(spec.health, spec.port), "logConfiguration": logs(spec.key),
    }
    if spec.volumes:
        main["mountPoints"] = [{"sourceVolume": v, "containerPath": p, "readOnly": False}
                               for v, p in sorted(spec.volumes.items())]
    if command is not None:
        main["command"] = list(command)
    if previous:
        main["dependsOn"] = [{"containerName": previous, "condition": "SUCCESS"}]
    defs.append(main)
    return defs


class FargateRuntime:
    """:class:`somastack_deploy.components.spec.ServiceRuntime` for ECS Fargate.

    ``cluster_arn``; ``namespace_id``/``namespace_name``: the Cloud Map private DNS namespace;
    ``subnet_ids`` (private) and ``security_group_id`` (app SG); ``target_group_arn``: the ALB
    target group of the public service; ``log_retention_days``; ``stack``; ``tags``;
    ``file_system``: the EFS file system of the services' durable volumes (required when a
    spec has ``volumes``); ``blue_green``: blue/green resources of the public service (None:
    rolling).
    """

    target = "FARGATE"
    internal_tls = True

    def __init__(self, *, cluster_arn: pulumi.Input[str], namespace_id: pulumi.Input[str], namespace_name: str,
                 subnet_ids: pulumi.Input[Sequence[str]], security_group_id: pulumi.Input[str],
                 target_group_arn: pulumi.Input[str] | None, log_retention_days: int, stack: str,
                 tags: Mapping[str, str], region: str, file_system: FileSystem | None = None,
                 blue_green: BlueGreen | None = None):
        self.cluster_arn, self.namespace_id, self.namespace_name = cluster_arn, namespace_id, namespace_name
        self.subnet_ids, self.security_group_id = subnet_ids, security_group_id
        self.target_group_arn, self.log_retention_days = target_group_arn, log_retention_days
        self.stack, self.tags, self.region = stack, dict(tags), region
        self.file_system, self.blue_green = file_system, blue_green
        ident = aws.get_caller_identity_output()
        part = aws.get_partition_output()
        self._account = pulumi.Output.all(ident.account_id, part.partition)

    def host_of(self, key: str) -> str:
        """``<key>.<namespace>`` (Cloud Map A record)."""
        return f"{key}.{self.namespace_name}"

    def deploy(self, name: str, spec: ServiceSpec, *, parent: pulumi.Resource,
               depends_on: Sequence[pulumi.Resource] = ()) -> DeployedService:
        """Create the service's ECS resources (see the module docstring)."""
        child = pulumi.ResourceOptions(parent=parent)
        env_out = pulumi.Output.from_input(spec.env)
        region = self.region
        tags = gated(self.tags, env_out)  # nothing of the service is registered before its env is valid

        def to_sources(refs: Mapping[str, str], acct: list) -> dict[str, SecretSource]:
            account_id, partition = acct
            try:
                return {k: secret_source(v, partition=partition, region=region, account_id=account_id)
                        for k, v in refs.items()}
            except ValueError as err:
                raise pulumi.RunError(f"{spec.key}: {err}") from None

        def value_froms(sources: Mapping[str, SecretSource]) -> dict[str, str]:
            return {k: src.value_from for k, src in sources.items()}

        # variable -> SecretSource, for the app container and each init container
        main_sources = pulumi.Output.all(pulumi.Output.from_input(dict(spec.secrets)), self._account).apply(
            lambda a: to_sources(a[0], a[1]))
        init_sources = [pulumi.Output.all(pulumi.Output.from_input(dict(t.extra_secrets)), self._account)
                        .apply(lambda a: to_sources(a[0], a[1])) for t in spec.init]
        secrets_vf = main_sources.apply(value_froms)
        init_parts = [pulumi.Output.all(pulumi.Output.from_input(dict(t.extra_env)), src.apply(value_froms))
                      for t, src in zip(spec.init, init_sources)]

        log_group = aws.cloudwatch.LogGroup(f"{name}-logs", name=f"/somastack/{self.stack}/{spec.key}",
                                            retention_in_days=self.log_retention_days, tags=tags, opts=child)
        assume = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        exec_role = aws.iam.Role(f"{name}-exec-role", assume_role_policy=assume, tags=tags, opts=child)
        aws.iam.RolePolicyAttachment(
            f"{name}-exec-policy", role=exec_role.name,
            policy_arn=self._account.apply(lambda a: execution_policy_arn(a[1])), opts=child)
        if spec.secrets or any(t.extra_secrets for t in spec.init):
            policy = pulumi.Output.all(main_sources, *init_sources).apply(
                lambda maps: secrets_policy_document(src for m in maps for src in m.values()))
            aws.iam.RolePolicy(f"{name}-exec-secrets", role=exec_role.id, policy=policy, opts=child)
        task_role = aws.iam.Role(f"{name}-task-role", assume_role_policy=assume, tags=tags, opts=child)
        if spec.task_policy is not None:
            aws.iam.RolePolicy(f"{name}-task-policy", role=task_role.id, policy=spec.task_policy, opts=child)

        volumes, efs_deps = self._efs_volumes(name, spec, task_role, tags, child)
        definitions = pulumi.Output.all(env_out, secrets_vf, log_group.name, pulumi.Output.from_input(spec.command),
                                        *init_parts).apply(
            lambda a: json.dumps(container_definitions(
                spec=spec, command=a[3], env=a[0], secrets=a[1], log_group=a[2], region=region,
                init=[(t, p[0], p[1]) for t, p in zip(spec.init, a[4:])]), sort_keys=True))
        size = spec.sizing
        task_def = aws.ecs.TaskDefinition(
            f"{name}-task", family=f"{self.stack}-{spec.key}", cpu=str(size.cpu_units), memory=str(size.memory_mib),
            network_mode="awsvpc", requires_compatibilities=["FARGATE"], container_definitions=definitions,
            ephemeral_storage=aws.ecs.TaskDefinitionEphemeralStorageArgs(size_in_gib=size.ephemeral_storage_gib)
            if size.ephemeral_storage_gib > 20 else None,
            execution_role_arn=exec_role.arn, task_role_arn=task_role.arn, volumes=volumes or None,
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(operating_system_family="LINUX",
                                                                       cpu_architecture="X86_64"),
            tags=tags, opts=child)
        discovery = aws.servicediscovery.Service(
            f"{name}-discovery", name=spec.key,
            dns_config=aws.servicediscovery.ServiceDnsConfigArgs(
                namespace_id=self.namespace_id, routing_policy="MULTIVALUE",
                dns_records=[aws.servicediscovery.ServiceDnsConfigDnsRecordArgs(ttl=10, type="A")]),
            tags=tags, opts=child)
        load_balancers = None
        deployment = None
        if spec.public:
            if self.target_group_arn is None:
                raise ValueError(f"{spec.key}: public service but no load balancer target group")
            bg = self.blue_green
            advanced = aws.ecs.ServiceLoadBalancerAdvancedConfigurationArgs(
                alternate_target_group_arn=bg.alternate_target_group_arn,
                production_listener_rule=bg.production_listener_rule_arn,
                test_listener_rule=bg.test_listener_rule_arn, role_arn=bg.role_arn) if bg is not None else None
            load_balancers = [aws.ecs.ServiceLoadBalancerArgs(target_group_arn=self.target_group_arn,
                                                              container_name=spec.key, container_port=spec.port,
                                                              advanced_configuration=advanced)]
            if bg is not None:
                deployment = aws.ecs.ServiceDeploymentConfigurationArgs(
                    strategy="BLUE_GREEN", bake_time_in_minutes=str(bg.bake_time_min))
        service = aws.ecs.Service(
            f"{name}-service", cluster=self.cluster_arn, task_definition=task_def.arn,
            desired_count=size.desired_count, launch_type="FARGATE", platform_version="LATEST",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=self.subnet_ids, security_groups=[self.security_group_id], assign_public_ip=False),
            service_registries=aws.ecs.ServiceServiceRegistriesArgs(registry_arn=discovery.arn),
            load_balancers=load_balancers,
            health_check_grace_period_seconds=min(spec.health.start_period_s + 60, 600) if spec.public else None,
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True),
            deployment_configuration=deployment or aws.ecs.ServiceDeploymentConfigurationArgs(strategy="ROLLING"),
            deployment_minimum_healthy_percent=0 if spec.singleton else None,
            deployment_maximum_percent=100 if spec.singleton else None,
            propagate_tags="SERVICE", enable_execute_command=False, wait_for_steady_state=True,
            tags=tags, opts=pulumi.ResourceOptions(parent=parent, depends_on=[*depends_on, *efs_deps]))
        return DeployedService(host=pulumi.Output.from_input(self.host_of(spec.key)), port=spec.port,
                               protocol=spec.protocol, ready=[service])

    def _efs_volumes(self, name: str, spec: ServiceSpec, task_role: aws.iam.Role, tags: pulumi.Input,
                     child: pulumi.ResourceOptions) -> tuple[list, list[pulumi.Resource]]:
        """The task definition ``volumes`` for ``spec.volumes`` (EFS access points, see the module
        docstring) and the resources the ECS service must wait for (the mount targets).
        Raises ``ValueError`` when the spec has volumes and the runtime no file system."""
        if not spec.volumes:
            return [], []
        fs = self.file_system
        if fs is None:
            raise ValueError(f"{spec.key}: durable volumes {sorted(spec.volumes)} need the stack's EFS file system")
        uid, gid = spec.volume_owner
        volumes, points = [], []
        for volume in sorted(spec.volumes):
            ap = aws.efs.AccessPoint(
                f"{name}-{volume}-ap", file_system_id=fs.file_system_id,
                posix_user=aws.efs.AccessPointPosixUserArgs(uid=uid, gid=gid),
                root_directory=aws.efs.AccessPointRootDirectoryArgs(
                    path=f"/somastack/{spec.key}/{volume}",
                    creation_info=aws.efs.AccessPointRootDirectoryCreationInfoArgs(
                        owner_uid=uid, owner_gid=gid, permissions="0750")),
                tags=tags, opts=child)
            points.append(ap)
            volumes.append(aws.ecs.TaskDefinitionVolumeArgs(
                name=volume, efs_volume_configuration=aws.ecs.TaskDefinitionVolumeEfsVolumeConfigurationArgs(
                    file_system_id=fs.file_system_id, transit_encryption="ENABLED",
                    authorization_config=aws.ecs.TaskDefinitionVolumeEfsVolumeConfigurationAuthorizationConfigArgs(
                        access_point_id=ap.id, iam="ENABLED"))))
        aws.iam.RolePolicy(f"{name}-task-efs", role=task_role.id,
                           policy=pulumi.Output.all(fs.arn, *[p.arn for p in points]).apply(
                               lambda a: client_policy(a[0], a[1:])), opts=child)
        return volumes, list(fs.mount_targets)
