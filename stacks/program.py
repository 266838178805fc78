"""The one Pulumi program of SomaStack (``Pulumi.yaml`` → ``main: stacks/``).

:func:`main`:

1. reads the stack's contract variables (``somastack:UPPER_CASE`` keys) and checks them with
   the config contract (:func:`somastack_deploy.components.contract_gate.check_stack_config`) before any
   resource exists: a violation (e.g. VIBE-91, a localhost URL in PROD) aborts with the
   contract's message (:class:`somastack_deploy.components.contract_gate.ContractAbort`);
2. reads the stack settings (:mod:`somastack_deploy.stacks.settings`) and installs the strict
   Kubernetes field check (:mod:`somastack_deploy.components.k8s_fields`: an object with a field
   its Kubernetes type does not declare fails the run instead of the provider dropping it);
3. dispatches on ``SA01_DEPLOYMENT_TARGET``: ``FARGATE`` → :mod:`somastack_deploy.stacks.fargate`, ``EKS`` →
   :mod:`somastack_deploy.stacks.eks` (provisions the cluster) or, when the stack setting
   ``somastack:kubernetes`` names a ``kubeconfig``, :mod:`somastack_deploy.stacks.kubernetes` (an
   existing cluster: the DEVELOPMENT namespace of seed 003), ``LOCAL`` →
   :mod:`somastack_deploy.stacks.local` (other targets of seed 000 §5.1 have no program here:
   :class:`somastack_deploy.stacks.settings.StackConfigError`);
4. exports the outputs (:mod:`somastack_deploy.stacks.outputs`), including the ``topology`` document.
"""

from __future__ import annotations

import importlib

import pulumi

from somastack_deploy.components import k8s_fields
from somastack_deploy.components.contract_gate import ContractAbort, check_stack_config

from .common import StackContext
from .settings import StackConfigError, contract_env_from_config, read_settings

#: SA01_DEPLOYMENT_TARGET → program module.
TARGETS: dict[str, str] = {"FARGATE": "somastack_deploy.stacks.fargate", "EKS": "somastack_deploy.stacks.eks", "LOCAL": "somastack_deploy.stacks.local"}
#: The program of an EKS-target stack whose cluster is given by a kubeconfig.
KUBECONFIG_PROGRAM = "somastack_deploy.stacks.kubernetes"


def program_for(target: str, settings) -> str | None:
    """Module name of the program for ``target`` and the stack ``settings`` (None: no program)."""
    if target == "EKS" and (settings.kubernetes or {}).get("kubeconfig"):
        return KUBECONFIG_PROGRAM
    return TARGETS.get(target)


def main() -> None:
    """Run the program of the current stack (see the module docstring)."""
    from somastack_deploy.config_contract import ContractViolation

    stack = pulumi.get_stack()
    env = contract_env_from_config(stack)
    try:
        report = check_stack_config(env)
    except ContractViolation as err:
        raise ContractAbort(f"stack config of {stack}", err) from None
    for finding in report.warnings:  # messages never carry secret values
        pulumi.log.warn(f"{finding.rule}: {finding.message}")
    dims = report.dimensions
    if dims.target not in TARGETS:
        raise StackConfigError(f"SA01_DEPLOYMENT_TARGET={dims.target} has no program here "
                               f"(supported: {', '.join(sorted(TARGETS))})", path=f"Pulumi.{stack}.yaml",
                               variable="somastack:SA01_DEPLOYMENT_TARGET")
    settings = read_settings(stack, dims.environment)
    k8s_fields.register()
    module_name = program_for(dims.target, settings)
    ctx = StackContext(stack=stack, dimensions=dims, contract_env=env, settings=settings)
    importlib.import_module(module_name).build(ctx)
