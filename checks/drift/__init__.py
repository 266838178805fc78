"""Drift: what runs against what the repo and the contract declare (``somastack-deploy drift``).

- :mod:`.config`: environment variables of running workloads vs the rendered contract;
- :mod:`.services`: live state inside each service vs ``assets/`` and the topology;
- :mod:`.engine`: infra drift, Pulumi ``refresh --preview-only`` through the Automation API;
  :mod:`.engine_cli` finds the CLI ``harness/install/pulumi/build.sh`` builds (docs/engine.md);
- :mod:`.model`: items, report, baseline; :mod:`.report`: JSON, Markdown, SARIF.
"""
