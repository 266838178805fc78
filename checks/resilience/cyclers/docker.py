"""Cycler for the local target's containers through the Docker SDK: every container of a
Docker Compose project (label ``com.docker.compose.project``) is stopped (``kill`` with
``hard``) and started again; ``is_down`` when none is ``running``. There is no Docker engine
on the build machine: the tests check the Engine API requests the SDK sends."""

from __future__ import annotations

from .base import Cycler, CyclerError

PROJECT_LABEL = "com.docker.compose.project"


class DockerCycler(Cycler):
    name = "docker"

    def __init__(self, client, project: str, *, stop_timeout_s: int = 30):
        self.client, self.project, self.stop_timeout_s = client, project, stop_timeout_s

    @classmethod
    def from_env(cls, project: str, **kw) -> "DockerCycler":
        import docker

        try:
            return cls(docker.from_env(), project, **kw)
        except docker.errors.DockerException as err:
            from somastack_deploy.config_contract.errors import InputError

            raise InputError(f"no Docker engine reachable: {str(err).splitlines()[0][:160]}", variable="--target docker") from None

    def _containers(self):
        found = self.client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={self.project}"})
        if not found:
            raise CyclerError(f"no container of compose project {self.project}")
        return found

    def take_down(self, *, hard: bool = False) -> None:
        for c in self._containers():
            c.kill() if hard else c.stop(timeout=self.stop_timeout_s)

    def is_down(self) -> bool:
        return not any(c.status == "running" for c in self._containers())

    def bring_up(self) -> None:
        for c in self._containers():
            c.start()

    def describe(self) -> str:
        return f"docker compose project {self.project}"
