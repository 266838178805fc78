"""Cyclers: take a stack's services down and up again, one implementation per target.

Every cycler implements :class:`somastack_deploy.checks.resilience.cyclers.base.Cycler`. Only the harness
cycler runs for real here; the Docker, ECS and EKS cyclers' request shapes are checked
against the Docker SDK, botocore's ECS model (Stubber) and the kubernetes client's models.
"""
