"""The one Pulumi program of SomaStack (``Pulumi.yaml`` → ``main: stacks/``).

:func:`main`:

1. reads the stack's contract variables (``somastack:UPPER_CASE`` keys) and checks them with
   the config contract (:func:`somastack_deploy.components.contract_gate.check_stack_config`) before any
   resource exists: a violation (e.g. VIBE-91, a localhost URL in PROD) aborts with the
   contract's message (:class:`somastack_deploy.components.contract_gate.ContractAbort`);
2. reads the stack settings (:mod:`somastack_deploy.stacks.settings`);
3. dispatches on ``SA01_DEPLOYMENT_TARGET``: ``FARGATE`` → :mod:`somastack_deploy.stacks.fargate`, ``EKS`` →
   :mod:`somastack_deploy.stacks.eks`, ``LOCAL`` → :mod:`somastack_deploy.stacks.local` (other targets of seed 000 §5.1 have no
   program here: :class:`somastack_deploy.stacks.settings.StackConfigError`);
4. exports the outputs (:mod:`somastack_deploy.stacks.outputs`), including the ``topology`` document.
"""

from __future__ import annotations

import importlib

import pulumi

from somastack_deploy.components.contract_gate import ContractAbort, check_stack_config

from .common import StackContext
from .settings import StackConfigError, contract_env_from_config, read_settings

#: SA01_DEPLOYMENT_TARGET → program module.
TARGETS: dict[str, str] = {"FARGATE": "somastack_deploy.stacks.fargate", "EKS": "somastack_deploy.stacks.eks", "LOCAL": "somastack_deploy.stacks.local"}


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
    module_name = TARGETS.get(dims.target)
    if module_name is None:
        raise StackConfigError(f"SA01_DEPLOYMENT_TARGET={dims.target} has no program here "
                               f"(supported: {', '.join(sorted(TARGETS))})", path=f"Pulumi.{stack}.yaml",
                               variable="somastack:SA01_DEPLOYMENT_TARGET")
    settings = read_settings(stack, dims.environment)
    ctx = StackContext(stack=stack, dimensions=dims, contract_env=env, settings=settings)
    importlib.import_module(module_name).build(ctx)
