"""Mask plaintext secrets in captured inputs before they are printed.

Pulumi secrets are already masked by the runner; this masks what a program put in plain text
and a policy flags: values under a secret-named key (``password``, ``authToken``), entries
``{"name": N, "value": V}`` (ECS/Kubernetes env) and ``"N=V"`` strings (Docker ``envs``) whose
variable is a secret by :func:`somastack_deploy.config_contract.grammar.secrets.secret_reason` (name or value
shape), values shaped like a secret anywhere, and the same inside JSON documents held in strings (an
ECS task definition's ``containerDefinitions``). References, ARNs and paths stay readable
(:func:`somastack_deploy.config_contract.grammar.secrets.is_benign_value`).
"""

from __future__ import annotations

import json
from typing import Any

from somastack_deploy.config_contract.masking import MASK, mask
from somastack_deploy.config_contract.grammar.secrets import is_benign_value, secret_reason, value_shape


def redact(value: Any, key: str | None = None) -> Any:
    """Return ``value`` with plaintext secrets replaced by :data:`somastack_deploy.config_contract.masking.MASK`
    (structure kept). ``key`` is the mapping key ``value`` sits under, if any."""
    if isinstance(value, dict):
        if isinstance(value.get("name"), str) and "value" in value and isinstance(value["value"], str):
            out = {k: redact(v, k) for k, v in value.items() if k != "value"}
            out["value"] = mask(value["value"]) if secret_reason(value["name"], value["value"]) else value["value"]
            return out
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str):
        if value == MASK or is_benign_value(value):
            return value
        if key is not None and secret_reason(key, value):
            return mask(value)
        text = value.strip()
        if text[:1] in "[{" and text[-1:] in "]}":
            try:
                doc = json.loads(text)
            except ValueError:
                doc = None
            if doc is not None:
                cleaned = redact(doc)
                return value if cleaned == doc else json.dumps(cleaned)
        name, sep, rest = value.partition("=")
        if sep and name and " " not in name and secret_reason(name, rest):
            return f"{name}={mask(rest)}"
        if value_shape(value):
            return mask(value)
    return value
