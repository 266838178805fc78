"""The app services: SomaAgent01 (agent), SomaBrain (brain), SomaFractalMemory (memory).

Type token ``somastack:app:AppServices``. Which services run depends on the software mode
(seed 000 §3, ``somastack_deploy.config_contract.services``): StandAlone runs the agent gateway only;
SomaStackClusterMode runs agent, brain and memory (Brain+Memory paired, seed 000 §7).

Order (seed 001 §4, "Sequence: Memory → Brain → Agent (Strict Order)", "Application services
WILL NOT START until this resource completes successfully"): each app service's one-off tasks
(``createdb``, then ``migrate``) run before it starts, and each service depends on the previous
one in that order, so memory's migration completes before brain's starts, and so on.

Environment: rendered from the provisioned endpoints with ``Output.all(...).apply`` by
:func:`somastack_deploy.components.app_env.render_app_env` and enforced by the contract
(:func:`somastack_deploy.components.contract_gate.enforce_app_env`) inside that apply; every app resource takes
its inputs from the result, so on a violation no app resource is registered and the program
fails with the contract's message (:class:`somastack_deploy.components.contract_gate.ContractAbort`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields

import pulumi

from .app_env import APP_DATABASES, APP_HEALTH, APP_PORTS, MIGRATION_ORDER, Endpoints, render_app_env
from .contract_gate import ContractAbort, enforce_app_env
from .dbinit import create_database_task
from .spec import HealthCheck, OneOffTask, ServiceRuntime, ServiceSpec, Sizing

TYPE = "somastack:app:AppServices"
#: Django migrations (seed 001 §4 "python manage.py migrate").
MIGRATE_COMMAND = ("python", "manage.py", "migrate", "--noinput")


def apps_for(software_mode: str) -> tuple[str, ...]:
    """App service keys of ``software_mode`` in migration/start order (seed 000 §3, 001 §4)."""
    from somastack_deploy.config_contract.services import required_services

    wanted = set(required_services(software_mode)) & set(APP_PORTS)
    return tuple(app for app in MIGRATION_ORDER if app in wanted)


@dataclass(kw_only=True)
class AppServicesArgs:
    """``runtime``; ``software_mode``; ``target`` (``SA01_DEPLOYMENT_TARGET``);
    ``contract_env``: the stack's contract variables (already checked by
    :func:`somastack_deploy.components.contract_gate.check_stack_config`); ``endpoints``: the
    :class:`somastack_deploy.components.app_env.Endpoints` fields as Pulumi inputs; ``images``: app key → image
    pinned by tag; ``sizing``; ``depends_on``: infrastructure the first service waits for."""

    runtime: ServiceRuntime
    software_mode: str
    target: str
    contract_env: Mapping[str, str]
    endpoints: Mapping[str, pulumi.Input]
    images: Mapping[str, str]
    sizing: Sizing = Sizing()
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    #: IAM policy JSON by app key (e.g. MSK IAM access for agent and brain), attached to the
    #: service's task/pod role by the runtime.
    task_policies: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        expected = {f.name for f in fields(Endpoints)}
        unknown = set(self.endpoints) - expected
        if unknown:
            raise ValueError(f"unknown endpoint fields {sorted(unknown)}")
        missing = [a for a in apps_for(self.software_mode) if not self.images.get(a)]
        if missing:
            raise ValueError(f"images: no image for {', '.join(missing)} (somastack:images)")
        for app, image in self.images.items():
            if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
                raise ValueError(f"images.{app}: pin the image by tag (repo:tag, not latest)")


class AppServices(pulumi.ComponentResource):
    """Outputs: ``services``: app key → ``{"host", "port", "protocol"}`` (host an Output);
    ``apps``: the app keys deployed, in start order."""

    services: dict[str, dict]
    apps: tuple[str, ...]

    def __init__(self, name: str, args: AppServicesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        self.apps = apps_for(args.software_mode)
        contract_env = dict(args.contract_env)
        apps, target = self.apps, args.target

        def render(values: dict) -> dict[str, tuple[dict, dict]]:
            """app → (env, secrets), each enforced by the contract; raises ContractAbort."""
            from somastack_deploy.config_contract import ContractViolation

            ep = Endpoints(**values)
            out = {}
            for app in apps:
                env, secrets = render_app_env(app, ep, contract_env, target=target)
                try:
                    report = enforce_app_env(app, env, secrets)
                except ContractViolation as err:
                    raise ContractAbort(f"{app} environment", err) from None
                for finding in report.warnings:  # messages never carry secret values
                    pulumi.log.warn(f"{app}: {finding.rule}: {finding.message}")
                out[app] = (env, secrets)
            return out

        # brain/memory are reached by the name the runtime gives them (service discovery).
        endpoint_inputs = dict(args.endpoints)
        for app in ("brain", "memory"):
            if app in apps:
                endpoint_inputs[f"{app}_host"] = args.runtime.host_of(app)
        rendered = pulumi.Output.all(**endpoint_inputs).apply(render)

        # Secret names are static (they depend on the mode and the config, not on endpoint values).
        placeholder = {f.name: ("${X}" if f.name.endswith("_ref") else "x") for f in fields(Endpoints)}
        placeholder.update(postgres_port=1, redis_port=1, spicedb_port=1, milvus_port=1, redis_tls=False,
                           kafka_tls=False, kafka_auth="none", redis_cluster=False)
        if endpoint_inputs.get("redis_password_ref") is None:
            placeholder["redis_password_ref"] = None

        self.services = {}
        previous: list[pulumi.Resource] = list(args.depends_on)
        for app in apps:
            _, secret_names = render_app_env(app, Endpoints(**placeholder), contract_env, target=target)
            secrets = {n: rendered.apply(lambda r, a=app, n=n: r[a][1][n]) for n in secret_names}
            env = rendered.apply(lambda r, a=app: r[a][0])
            pg = args.endpoints
            spec = ServiceSpec(
                key=app, image=args.images[app], port=APP_PORTS[app], protocol="http", env=env, secrets=secrets,
                health=HealthCheck(path=APP_HEALTH[app], start_period_s=120), sizing=args.sizing,
                public=(app == "agent"), task_policy=args.task_policies.get(app),
                init=(create_database_task(APP_DATABASES[app], host=pg["postgres_host"], port=pg["postgres_port"],
                                           user=pg["postgres_user"], password_ref=pg["postgres_password_ref"],
                                           sslmode=pg["postgres_sslmode"]),
                      OneOffTask(name="migrate", command=MIGRATE_COMMAND)),
            )
            deployed = args.runtime.deploy(f"{name}-{app}", spec, parent=self, depends_on=previous)
            previous = list(deployed.ready)
            self.services[app] = {"host": deployed.host, "port": deployed.port, "protocol": deployed.protocol}
        self.ready = previous
        self.register_outputs({"services": self.services, "apps": list(self.apps)})
