"""Is an environment variable a plaintext secret? By name and by value shape.

The policy pack's view of the contract's one owner,
:mod:`somastack_deploy.config_contract.grammar.secrets` (re-exported here for the rules in
:mod:`somastack_deploy.policies.rules.secrets`):

- Name: :func:`is_secret_name` (the contract's catalog, plus the generic PASSWORD/TOKEN/SECRET/
  API_KEY/… words for names outside it).
- Value shape: :func:`value_shape` — detect-secrets 1.5.0's value detectors (AWS keys, private
  keys, JWTs, GitHub/Slack/Stripe/OpenAI/… tokens; not the keyword and entropy detectors, which
  judge names and random-looking strings such as ARNs and digests), the SomaStack dev defaults
  (seed 002 §3.2) and a connection URL carrying a literal password.
- Not a secret: :func:`is_benign_value` — empty values, references (``ref+vault://``,
  ``ref+awssecrets://``, ``ref+awsssm://``, ``${VAR}``, ``file:///``), ``$VAR``, placeholders,
  ARNs, absolute paths (``*_FILE`` conventions) and URLs whose password is a reference.

Source: seed 000 §4 Rule 164 (zero-hardcode: secrets only from Vault/Secrets Manager), seed
001 §3.2 (Secrets Manager for secrets), AWS ECS developer guide "Pass sensitive data to a
container" (``secrets``/``valueFrom``, never ``environment``).
"""

from __future__ import annotations

from somastack_deploy.config_contract.grammar.secrets import (is_benign_value, is_secret_name, secret_reason,
                                                              value_shape)

__all__ = ["is_benign_value", "is_secret_name", "secret_reason", "value_shape"]
