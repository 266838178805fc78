"""The Pulumi program of SomaStack and its three targets (see ``docs/stacks.md``).

- :mod:`stacks.program`: ``main()`` (contract check, settings, dispatch on
  ``SA01_DEPLOYMENT_TARGET``); :mod:`stacks.__main__` is Pulumi's entry point.
- :mod:`stacks.settings`: stack settings and contract variables from ``pulumi.Config``.
- :mod:`stacks.common`: the container services shared by every target.
- :mod:`stacks.aws_data`: RDS/ElastiCache/MSK shared by fargate and eks.
- :mod:`stacks.outputs`: endpoints, secret references, the ``topology`` output.
- :mod:`stacks.fargate`, :mod:`stacks.eks`, :mod:`stacks.local`: the targets and their
  :class:`components.spec.ServiceRuntime` implementations (``runtime.py``).
"""
