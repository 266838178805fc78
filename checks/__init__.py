"""Post-deploy checks for a SomaStack stack (issue 5).

- :mod:`checks.probes`: one protocol-level probe per service, registered with a stable id, run
  concurrently by :mod:`checks.runner` (``somastack-deploy probe``).
- :mod:`checks.resilience`: the data ledger and the N-cycle down/up test (seed 002 §5.3,
  "Rule 122"; ``somastack-deploy resilience``).
- :mod:`checks.drift`: config, service and infrastructure drift (``somastack-deploy drift``).

Imports point one way: ``config_contract`` → ``checks``. Nothing here connects anywhere at
import time; client libraries (psycopg, redis, confluent-kafka, pymilvus, authzed, hvac, boto3,
kubernetes, docker) are imported inside the functions that use them.
"""
