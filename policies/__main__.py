"""CrossGuard entry point: ``pulumi preview --policy-pack policies`` runs this file.

Constructing ``PolicyPack`` starts the analyzer's gRPC server and blocks, so it happens only
here; the validators live in :mod:`somastack_deploy.policies.rules` and are importable without side effects.
The pack's Python is the repository's ``.venv`` (``PulumiPolicy.yaml``), where
``somastack-deploy`` is installed in editable mode (``scripts/setup.sh``).
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from somastack_deploy.policies.pack import PACK_NAME, resource_policies

PolicyPack(name=PACK_NAME, enforcement_level=EnforcementLevel.MANDATORY, policies=resource_policies())
