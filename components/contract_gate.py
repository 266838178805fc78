"""The config contract as a gate in the Pulumi programs (issue 3: "validated by the contract
(VIBE-91 and VIBE-164) before any resource is registered: a violation aborts the program with
the contract's message").

Two checks, both through :func:`config_contract.enforce` / :func:`config_contract.evaluate`:

1. :func:`check_stack_config`: the stack config's contract variables, before any resource.
   Variables the stack renders itself from what it provisions (catalog ``stack_provided``,
   :mod:`somastack_deploy.config_contract.stack_provided`; e.g. ``SA01_DB_DSN``, ``KEYCLOAK_URL``) may be absent
   there; everything else is judged as is (a localhost URL in PROD, a literal secret, a legacy
   mode value… abort).
2. :func:`enforce_app_env`: each app service's rendered environment (plain env + secret
   references), with the contract restricted to that service; called inside the
   ``Output.all(...).apply`` that renders it, so no app resource taking that environment is
   registered when it fails.

Both raise :class:`config_contract.ContractViolation` whose message is the contract's (one
line per error finding, never a secret value).
"""

from __future__ import annotations

from collections.abc import Mapping


def check_stack_config(env: Mapping[str, str], provenance=None):
    """Evaluate the stack config ``env`` (name → value); return the Report (warnings allowed).

    The one rule for variables the stack provides (:mod:`somastack_deploy.config_contract.stack_provided`, the
    same rule as ``somastack-deploy preflight --stack-config``): findings about stack-provided
    variables that ``env`` does not set (in any spelling) are dropped. Raises
    :class:`config_contract.ContractViolation` when an error remains.
    """
    from somastack_deploy.config_contract import ContractViolation
    from somastack_deploy.config_contract.stack_provided import evaluate_stack_config

    report = evaluate_stack_config(env, provenance=provenance)
    if report.errors:
        raise ContractViolation(report)
    return report


def enforce_app_env(app: str, env: Mapping[str, str], secrets: Mapping[str, str]):
    """Enforce the contract on app service ``app``'s rendered environment (``env`` plain values,
    ``secrets`` references). Returns the Report; raises ``ContractViolation``."""
    from somastack_deploy.config_contract import enforce

    return enforce({**env, **secrets}, services=[app])


try:  # pulumi is an optional dependency of the package; components always have it
    from pulumi import RunError as _RunError
except ImportError:  # pragma: no cover
    _RunError = Exception


class ContractAbort(_RunError):
    """The program stops because the contract failed. A ``pulumi.RunError``, so the Pulumi CLI
    prints the contract's message without a traceback. ``violation`` is the original
    :class:`config_contract.ContractViolation` (its ``report`` holds the findings)."""

    def __init__(self, where: str, violation: Exception):
        self.violation = violation
        super().__init__(f"config contract violated ({where}):\n{violation}")
