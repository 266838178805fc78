"""Post-deploy checks for a SomaStack stack (issue 5).

- :mod:`somastack_deploy.checks.probes`: one protocol-level probe per service, registered with a stable id, run
  concurrently by :mod:`somastack_deploy.checks.runner` (``somastack-deploy probe``).
- :mod:`somastack_deploy.checks.resilience`: the data ledger and the N-cycle down/up test (seed 002 §5.3,
  "Rule 122"; ``somastack-deploy resilience``).
- :mod:`somastack_deploy.checks.drift`: config, service and infrastructure drift (``somastack-deploy drift``).

Imports point one way: ``config_contract`` → ``checks``. Nothing here connects anywhere at
import time; client libraries (psycopg, redis, confluent-kafka, pymilvus, authzed, hvac, boto3,
kubernetes, docker) are imported inside the functions that use them.
"""
