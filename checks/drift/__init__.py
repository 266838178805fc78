"""Drift: what runs against what the repo and the contract declare (``somastack-deploy drift``).

- :mod:`.config`: environment variables of running workloads vs the rendered contract;
- :mod:`.services`: live state inside each service vs ``assets/`` and the topology;
- :mod:`.infra`: Pulumi ``refresh`` preview through the Automation API (needs the CLI);
- :mod:`.model`: items, report, baseline; :mod:`.report`: JSON, Markdown, SARIF.
"""
