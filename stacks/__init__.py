"""The Pulumi program of SomaStack and its three targets (see ``docs/stacks.md``).

- :mod:`somastack_deploy.stacks.program`: ``main()`` (contract check, settings, dispatch on
  ``SA01_DEPLOYMENT_TARGET``); :mod:`somastack_deploy.stacks.__main__` is Pulumi's entry point.
- :mod:`somastack_deploy.stacks.settings`: stack settings and contract variables from ``pulumi.Config``.
- :mod:`somastack_deploy.stacks.common`: the container services shared by every target.
- :mod:`somastack_deploy.stacks.aws_data`: RDS/ElastiCache/MSK shared by fargate and eks.
- :mod:`somastack_deploy.stacks.outputs`: endpoints, secret references, the ``topology`` output.
- :mod:`somastack_deploy.stacks.fargate`, :mod:`somastack_deploy.stacks.eks`, :mod:`somastack_deploy.stacks.local`: the targets and their
  :class:`somastack_deploy.components.spec.ServiceRuntime` implementations (``runtime.py``).
"""
