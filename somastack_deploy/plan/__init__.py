"""Offline plan: run a stack's Pulumi program under the mock runtime and capture what it
would register.

- :mod:`somastack_deploy.plan.mocks`: :class:`SomaStackMocks`, the one shared
  ``pulumi.runtime.Mocks`` with realistic outputs per resource type.
- :mod:`somastack_deploy.plan.runner`: :func:`run_stack` → :class:`CapturedPlan`.

Importing this package does not import Pulumi; import the submodules.
"""
