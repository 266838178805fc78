"""Docker runtime (local target): a :class:`somastack_deploy.components.spec.ServiceSpec` → docker containers
(pulumi-docker) on one bridge network.

- Each service is a container named ``somastack-<key>`` with the network alias ``<key>`` (its
  host name for the other services), its port published on ``127.0.0.1`` with the same number
  (seed 001 §1.1 ports), a docker health check, ``wait`` for healthy, restart
  ``unless-stopped``, named volumes for its data; images pulled by pinned tag.
- Secrets: references ``${VAR}`` only. ``secretsDir`` (a host directory with one file per
  variable, mode 600, written by the operator) is mounted read-only at ``/run/secrets``; a
  secret variable NAME becomes ``NAME_FILE=/run/secrets/VAR`` (the ``*_FILE`` convention of the
  official postgres image and of the app images). Images that cannot read files (Keycloak,
  SpiceDB) get a ``/bin/sh`` wrapper entrypoint that exports NAME from the file and ``exec``s
  the image's entrypoint. No secret value ever sits in a container's ``envs``.
- One-off tasks: containers with ``attach`` (the provider waits for their exit),
  ``must_run: false``, chained with ``depends_on``; the service container depends on the last.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_docker as docker

from somastack_deploy.components.spec import DeployedService, ServiceSpec, gated

SECRETS_MOUNT = "/run/secrets"
_VAR_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def secret_file(ref: str, what: str) -> str:
    """``/run/secrets/VAR`` for the reference ``${VAR}``; ``ValueError`` for any other kind."""
    match = _VAR_REF.match(ref or "")
    if not match:
        raise ValueError(f"{what}: the local target takes ${{VAR}} secret references (files in secretsDir), "
                         "not another kind")
    return f"{SECRETS_MOUNT}/{match.group(1)}"


def wrapper(secret_files: Mapping[str, str]) -> list[str]:
    """Entrypoint that exports each NAME from its file and execs the rest of the arguments."""
    exports = "; ".join(f'export {name}="$(cat {shlex.quote(path)})"' for name, path in sorted(secret_files.items()))
    return ["/bin/sh", "-c", f'{exports}; exec "$@"', "sh"]


def _seconds(value: int) -> str:
    return f"{value}s"


class DockerRuntime:
    """:class:`somastack_deploy.components.spec.ServiceRuntime` for docker (local target).

    ``network_name``: the docker network (an Output from the stack's ``docker.Network``);
    ``secrets_dir``: host directory of the secret files (absolute path, or None when no service
    has secrets); ``stack``: names containers ``somastack-<key>``.
    """

    target = "LOCAL"
    internal_tls = False

    def __init__(self, *, network_name: pulumi.Input[str], secrets_dir: str | None, stack: str):
        self.network_name, self.secrets_dir, self.stack = network_name, secrets_dir, stack
        self._images: dict[str, docker.RemoteImage] = {}
        self._volumes: dict[str, docker.Volume] = {}

    def host_of(self, key: str) -> str:
        """The network alias ``<key>``."""
        return key

    def _image(self, image: str, gate: pulumi.Output) -> docker.RemoteImage:
        if image not in self._images:
            safe = re.sub(r"[^a-z0-9]+", "-", image.lower()).strip("-")
            self._images[image] = docker.RemoteImage(f"image-{safe}", name=gated(image, gate), keep_locally=True)
        return self._images[image]

    def _volume(self, name: str) -> docker.Volume:
        if name not in self._volumes:
            self._volumes[name] = docker.Volume(f"volume-{name}", name=f"somastack-{self.stack}-{name}")
        return self._volumes[name]

    def _secret_mount(self, what: str) -> list:
        if not self.secrets_dir:
            raise pulumi.RunError(f"{what}: somastack:secretsDir is required (host directory of the secret files)")
        return [docker.ContainerVolumeArgs(host_path=self.secrets_dir, container_path=SECRETS_MOUNT, read_only=True)]

    def deploy(self, name: str, spec: ServiceSpec, *, parent: pulumi.Resource,
               depends_on: Sequence[pulumi.Resource] = ()) -> DeployedService:
        """Create the service's containers (see the module docstring)."""
        env_out = pulumi.Output.from_input(spec.env)
        image = self._image(spec.image, env_out)
        network = [docker.ContainerNetworksAdvancedArgs(name=self.network_name, aliases=[spec.key])]
        previous = list(depends_on)
        jobs = []
        def to_files(refs: Mapping[str, str], where: str) -> dict[str, str]:
            try:
                return {n: secret_file(r, f"{where}: {n}") for n, r in refs.items()}
            except ValueError as err:
                raise pulumi.RunError(str(err)) from None

        has_secrets = bool(spec.secrets)
        files = pulumi.Output.from_input(dict(spec.secrets)).apply(lambda r: to_files(r, spec.key))

        def env_list(env: Mapping[str, str], secret_files: Mapping[str, str]) -> list[str]:
            plain = {k: str(v) for k, v in env.items() if k not in secret_files}
            plain.update({f"{k}_FILE": v for k, v in secret_files.items()})
            return [f"{k}={v}" for k, v in sorted(plain.items())]

        for task in spec.init:
            task_secrets = has_secrets or bool(task.extra_secrets)
            task_files = pulumi.Output.all(files, pulumi.Output.from_input(dict(task.extra_secrets)).apply(
                lambda r, t=task: to_files(r, f"{spec.key}/{t.name}"))).apply(lambda a: {**a[0], **a[1]})
            envs = pulumi.Output.all(env_out, pulumi.Output.from_input(dict(task.extra_env)), task_files).apply(
                lambda a: env_list({**a[0], **a[1]}, a[2]))
            job = docker.Container(
                f"{name}-{task.name}", name=f"somastack-{spec.key}-{task.name}",
                image=self._image(task.image, env_out).image_id if task.image else image.image_id,
                entrypoints=task_files.apply(wrapper) if task_secrets else None,
                command=[*(spec.entrypoint or ()), *task.command] if task_secrets and task.image is None
                else list(task.command),
                envs=envs, networks_advanced=network, must_run=False, attach=True, logs=True, restart="no",
                volumes=self._secret_mount(spec.key) if task_secrets else None,
                opts=pulumi.ResourceOptions(parent=parent, depends_on=previous))
            jobs.append(job)
            previous = [job]

        volumes = [docker.ContainerVolumeArgs(volume_name=self._volume(v).name, container_path=p)
                   for v, p in sorted(spec.volumes.items())]
        if has_secrets:
            volumes += self._secret_mount(spec.key)
        entrypoint = None
        command = spec.command
        if has_secrets and spec.entrypoint is not None:
            entrypoint = files.apply(wrapper)
            command = pulumi.Output.from_input(spec.command or []).apply(lambda c: [*spec.entrypoint, *c])
        hc = spec.health
        container = docker.Container(
            f"{name}-container", name=gated(f"somastack-{spec.key}", env_out), image=image.image_id,
            entrypoints=entrypoint, command=command, envs=pulumi.Output.all(env_out, files).apply(lambda a: env_list(a[0], a[1])),
            networks_advanced=network, hostname=spec.key,
            ports=[docker.ContainerPortArgs(internal=spec.port, external=spec.port, ip="127.0.0.1")],
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=list(hc.exec_command(spec.port)), interval=_seconds(hc.interval_s),
                timeout=_seconds(hc.timeout_s), retries=hc.retries, start_period=_seconds(hc.start_period_s)),
            wait=True, wait_timeout=max(60, hc.start_period_s + hc.interval_s * hc.retries),
            restart="unless-stopped", memory=spec.sizing.memory_mib, volumes=volumes or None,
            labels=[docker.ContainerLabelArgs(label="com.somastack.stack", value=self.stack),
                    docker.ContainerLabelArgs(label="com.somastack.service", value=spec.key)],
            opts=pulumi.ResourceOptions(parent=parent, depends_on=previous))
        return DeployedService(host=pulumi.Output.from_input(spec.key), port=spec.port, protocol=spec.protocol,
                               ready=[*jobs, container])
