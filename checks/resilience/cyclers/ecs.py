"""Cycler for ECS services (Fargate / EC2 launch types) through boto3.

Two strategies (AWS ECS API reference, ``UpdateService``):

- ``scale`` (default): ``desiredCount`` 0, wait until ``runningCount`` is 0 (that is "down"),
  then back to the original count and wait with the ``services_stable`` waiter;
- ``force-new-deployment``: ``forceNewDeployment=True`` (a rolling replacement: the service
  never goes fully down; ``is_down`` is then True once the new deployment is PRIMARY).

``hard`` additionally stops the running tasks (``StopTask``) instead of letting ECS drain them.

The wait follows each service's deployment strategy (``deploymentConfiguration.strategy`` of
``DescribeServices``). ``ROLLING``: the ``services_stable`` waiter. ``BLUE_GREEN`` (the
gateway on the Fargate target; also ``LINEAR``/``CANARY``, ECS's other traffic-shifting
strategies): a forced deployment is a *service deployment* (ECS API ``ServiceDeployment``) that
goes through lifecycle stages (scale up green, test traffic shift, production traffic shift,
bake time, clean up); the cycler takes its ARN from the ``UpdateService`` response
(``currentServiceDeployment``, else ``ListServiceDeployments``), counts the service as "down"
(the old revision no longer serves) from ``PRODUCTION_TRAFFIC_SHIFT`` on, and as up when
``DescribeServiceDeployments`` says ``SUCCESSFUL`` (after the bake time); ``ROLLBACK_*`` or
``STOPPED`` is a :class:`CyclerError` naming the service and ECS's reason. With the ``scale``
strategy the deployment strategy does not matter (a desired count change starts no service
deployment).
Request shapes are checked against botocore's ECS model with Stubber in the tests.
"""

from __future__ import annotations

import time

from .base import Cycler, CyclerError

#: Deployment strategies whose forced deployments are followed as service deployments.
TRAFFIC_SHIFTING = ("BLUE_GREEN", "LINEAR", "CANARY")
#: Lifecycle stages at which production traffic is on the new revision.
SHIFTED = ("PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP")
FAILED = ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", "STOPPED",
          "STOP_REQUESTED")


class ECSCycler(Cycler):
    name = "ecs"

    def __init__(self, client, cluster: str, services: list[str], *, strategy: str = "scale",
                 waiter_delay_s: int = 6, waiter_max_attempts: int = 100):
        if strategy not in ("scale", "force-new-deployment"):
            raise ValueError(f"unknown ECS strategy {strategy!r}")
        self.c, self.cluster, self.services, self.strategy = client, cluster, list(services), strategy
        self.waiter_config = {"Delay": waiter_delay_s, "MaxAttempts": waiter_max_attempts}
        self.desired: dict[str, int] = {}
        #: service name → deployment strategy (from DescribeServices).
        self.strategies: dict[str, str] = {}
        #: service name → ARN of the service deployment a forced deployment started (traffic-shifting strategies).
        self.deployments: dict[str, str] = {}
        self._sleep = time.sleep

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

    def _shifting(self, name: str) -> bool:
        return self.strategy != "scale" and self.strategies.get(name, "ROLLING") in TRAFFIC_SHIFTING

    def _deployment_arn(self, name: str, response: dict) -> str:
        arn = (response.get("service") or {}).get("currentServiceDeployment")
        if arn:
            return arn
        found = self.c.list_service_deployments(cluster=self.cluster, service=name,
                                                status=["PENDING", "IN_PROGRESS"]).get("serviceDeployments", [])
        if not found:
            raise CyclerError(f"{name}: no service deployment started for the forced deployment")
        return sorted(found, key=lambda d: d.get("createdAt") or 0)[-1]["serviceDeploymentArn"]

    def _service_deployments(self) -> dict[str, dict]:
        """service name → ``ServiceDeployment`` of the deployments this cycler started."""
        if not self.deployments:
            return {}
        by_arn = {v: k for k, v in self.deployments.items()}
        resp = self.c.describe_service_deployments(serviceDeploymentArns=sorted(by_arn))
        if resp.get("failures"):
            f = resp["failures"][0]
            raise CyclerError(f"{f.get('arn', '?')}: {f.get('reason', 'failure')}")
        return {by_arn[d["serviceDeploymentArn"]]: d for d in resp.get("serviceDeployments", [])}

    def take_down(self, *, hard: bool = False) -> None:
        for svc in self._describe():
            self.desired.setdefault(svc["serviceName"], svc["desiredCount"])
            self.strategies[svc["serviceName"]] = (svc.get("deploymentConfiguration") or {}).get("strategy", "ROLLING")
        self.deployments.clear()
        for name in self.services:
            if self.strategy == "scale":
                self.c.update_service(cluster=self.cluster, service=name, desiredCount=0)
            else:
                resp = self.c.update_service(cluster=self.cluster, service=name, forceNewDeployment=True)
                if self._shifting(name):
                    self.deployments[name] = self._deployment_arn(name, resp)
            if hard:
                for arn in self.c.list_tasks(cluster=self.cluster, serviceName=name, desiredStatus="RUNNING")["taskArns"]:
                    self.c.stop_task(cluster=self.cluster, task=arn, reason="somastack-deploy resilience --hard")

    def is_down(self) -> bool:
        svcs = self._describe()
        if self.strategy == "scale":
            return all(s["runningCount"] == 0 for s in svcs)
        shifted = self._service_deployments()
        for s in svcs:
            name = s["serviceName"]
            if name in self.deployments:
                d = shifted.get(name) or {}
                self._raise_if_failed(name, d)
                if d.get("status") != "SUCCESSFUL" and d.get("lifecycleStage") not in SHIFTED:
                    return False
            elif s["deployments"][0]["status"] != "PRIMARY":
                return False
        return True

    @staticmethod
    def _raise_if_failed(name: str, d: dict) -> None:
        if d.get("status") in FAILED:
            reason = d.get("statusReason") or "no reason given"
            raise CyclerError(f"{name}: blue/green deployment {d['status']}: {reason}")

    def bring_up(self) -> None:
        if self.strategy == "scale":
            for name in self.services:
                self.c.update_service(cluster=self.cluster, service=name, desiredCount=self.desired.get(name, 1))
        if self.deployments:
            self._wait_successful()
        rolling = [n for n in self.services if n not in self.deployments]
        if not rolling:
            return
        try:
            self.c.get_waiter("services_stable").wait(cluster=self.cluster, services=rolling,
                                                       WaiterConfig=self.waiter_config)
        except Exception as err:  # botocore WaiterError
            raise CyclerError(f"services not stable: {str(err).splitlines()[0]}") from None

    def _wait_successful(self) -> None:
        """Poll ``DescribeServiceDeployments`` every ``Delay`` s, at most ``MaxAttempts`` times,
        until every started service deployment is ``SUCCESSFUL``."""
        for attempt in range(self.waiter_config["MaxAttempts"]):
            states = self._service_deployments()
            for name, d in states.items():
                self._raise_if_failed(name, d)
            pending = sorted(n for n in self.deployments if (states.get(n) or {}).get("status") != "SUCCESSFUL")
            if not pending:
                return
            if attempt + 1 < self.waiter_config["MaxAttempts"]:
                self._sleep(self.waiter_config["Delay"])
        stages = ", ".join(f"{n} {(states.get(n) or {}).get('lifecycleStage', '?')}" for n in pending)
        raise CyclerError(f"blue/green deployments not finished: {stages}")

    def describe(self) -> str:
        return f"ecs {self.cluster} ({', '.join(self.services)}; {self.strategy})"
