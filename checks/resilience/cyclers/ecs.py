"""Cycler for ECS services (Fargate / EC2 launch types) through boto3.

Two strategies (AWS ECS API reference, ``UpdateService``):

- ``scale`` (default): ``desiredCount`` 0, wait until ``runningCount`` is 0 (that is "down"),
  then back to the original count and wait with the ``services_stable`` waiter;
- ``force-new-deployment``: ``forceNewDeployment=True`` (a rolling replacement: the service
  never goes fully down; ``is_down`` is then True once the new deployment is PRIMARY).

``hard`` additionally stops the running tasks (``StopTask``) instead of letting ECS drain them.
Request shapes are checked against botocore's ECS model with Stubber in the tests.
"""

from __future__ import annotations

from .base import Cycler, CyclerError


class ECSCycler(Cycler):
    name = "ecs"

    def __init__(self, client, cluster: str, services: list[str], *, strategy: str = "scale",
                 waiter_delay_s: int = 6, waiter_max_attempts: int = 100):
        if strategy not in ("scale", "force-new-deployment"):
            raise ValueError(f"unknown ECS strategy {strategy!r}")
        self.c, self.cluster, self.services, self.strategy = client, cluster, list(services), strategy
        self.waiter_config = {"Delay": waiter_delay_s, "MaxAttempts": waiter_max_attempts}
        self.desired: dict[str, int] = {}

    @classmethod
    def from_env(cls, cluster: str, services: list[str], *, region: str | None = None, **kw) -> "ECSCycler":
        import boto3

        return cls(boto3.client("ecs", region_name=region), cluster, services, **kw)

    def _describe(self) -> list[dict]:
        resp = self.c.describe_services(cluster=self.cluster, services=self.services)
        if resp.get("failures"):
            f = resp["failures"][0]
            raise CyclerError(f"{f.get('arn', '?')}: {f.get('reason', 'failure')}")
        return resp["services"]

    def take_down(self, *, hard: bool = False) -> None:
        for svc in self._describe():
            self.desired.setdefault(svc["serviceName"], svc["desiredCount"])
        for name in self.services:
            if self.strategy == "scale":
                self.c.update_service(cluster=self.cluster, service=name, desiredCount=0)
            else:
                self.c.update_service(cluster=self.cluster, service=name, forceNewDeployment=True)
            if hard:
                for arn in self.c.list_tasks(cluster=self.cluster, serviceName=name, desiredStatus="RUNNING")["taskArns"]:
                    self.c.stop_task(cluster=self.cluster, task=arn, reason="somastack-deploy resilience --hard")

    def is_down(self) -> bool:
        svcs = self._describe()
        if self.strategy == "scale":
            return all(s["runningCount"] == 0 for s in svcs)
        return all(s["deployments"][0]["status"] == "PRIMARY" for s in svcs)

    def bring_up(self) -> None:
        if self.strategy == "scale":
            for name in self.services:
                self.c.update_service(cluster=self.cluster, service=name, desiredCount=self.desired.get(name, 1))
        try:
            self.c.get_waiter("services_stable").wait(cluster=self.cluster, services=self.services,
                                                       WaiterConfig=self.waiter_config)
        except Exception as err:  # botocore WaiterError
            raise CyclerError(f"services not stable: {str(err).splitlines()[0]}") from None

    def describe(self) -> str:
        return f"ecs {self.cluster} ({', '.join(self.services)}; {self.strategy})"
