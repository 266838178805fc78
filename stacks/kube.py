"""Stack settings of the Kubernetes layer shared by the EKS and the kubeconfig stacks.

Both read the same keys from their settings mapping (``somastack:eks`` on EKS,
``somastack:kubernetes`` for a cluster given by a kubeconfig): ``vpa`` (bool, default false),
``vpaUpdateMode`` (``Off``/``Initial``/``Recreate``/``Auto``, default ``Initial``),
``hpaMaxReplicas`` (default 10), ``hpaCpuUtilization`` (percent, default 70),
``volumeSizeGiB`` (PersistentVolumeClaim size of the stateful services, default 50 on EKS,
10 on a kubeconfig cluster). Errors are :class:`StackConfigError` naming the stack file and key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from somastack_deploy.components.k8s_workloads import VPA_UPDATE_MODES, AutoscalingSettings

from .settings import StackConfigError


def _int(cfg: Mapping[str, Any], key: str, default: int, where: str, setting: str, lo: int, hi: int) -> int:
    value = cfg.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit() \
            or not lo <= int(value) <= hi:
        raise StackConfigError(f"{key}: an integer {lo}..{hi}", path=where, variable=setting)
    return int(value)


def autoscaling_settings(cfg: Mapping[str, Any], where: str, setting: str = "somastack:eks") -> AutoscalingSettings:
    """:class:`AutoscalingSettings` from ``cfg`` (see the module docstring)."""
    vpa = cfg.get("vpa", False)
    if not isinstance(vpa, bool):
        if str(vpa).lower() not in ("true", "false"):
            raise StackConfigError("vpa: true or false", path=where, variable=setting)
        vpa = str(vpa).lower() == "true"
    mode = cfg.get("vpaUpdateMode", "Initial")
    if mode not in VPA_UPDATE_MODES:
        raise StackConfigError(f"vpaUpdateMode: one of {', '.join(VPA_UPDATE_MODES)}", path=where, variable=setting)
    return AutoscalingSettings(vpa=vpa, vpa_update_mode=mode,
                               max_replicas=_int(cfg, "hpaMaxReplicas", 10, where, setting, 1, 1000),
                               cpu_utilization=_int(cfg, "hpaCpuUtilization", 70, where, setting, 1, 100))


def volume_size(cfg: Mapping[str, Any], where: str, setting: str = "somastack:eks", default: int = 50) -> int:
    """``volumeSizeGiB`` (GiB) from ``cfg``."""
    return _int(cfg, "volumeSizeGiB", default, where, setting, 1, 16384)
