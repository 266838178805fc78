"""redact: plaintext secrets in printable inputs are masked; references and ARNs stay."""

from __future__ import annotations

import json

from somastack_deploy.plan.redact import redact

PLANTED = "planted-Redact-S3cret-5521"


def test_redact_masks_by_key_env_entry_docker_env_and_json():
    props = {
        "password": PLANTED,
        "manageMasterUserPassword": True,
        "envs": ["A=1", f"POSTGRES_PASSWORD={PLANTED}", f"URL=postgresql://u:{PLANTED}@db/x"],
        "containerDefinitions": json.dumps([{"name": "agent", "environment": [
            {"name": "SA01_AUTH_TOKEN", "value": PLANTED}, {"name": "SA01_DB_HOST", "value": "db"}],
            "secrets": [{"name": "T", "valueFrom": "arn:aws:secretsmanager:eu-west-1:1:secret:t"}]}]),
        "secretArn": "arn:aws:secretsmanager:eu-west-1:1:secret:x",
        "apiKeyRef": "ref+awssecrets://soma/llm#/openai_api_key",
        "note": "AKIAIOSFODNN7EXAMPLE",
    }
    out = redact(props)
    assert PLANTED not in json.dumps(out) and "AKIAIOSFODNN7EXAMPLE" not in json.dumps(out)
    assert out["password"] == "****" and out["manageMasterUserPassword"] is True
    assert out["envs"] == ["A=1", "POSTGRES_PASSWORD=****", "URL=****"]
    defs = json.loads(out["containerDefinitions"])
    assert defs[0]["environment"] == [{"name": "SA01_AUTH_TOKEN", "value": "****"}, {"name": "SA01_DB_HOST", "value": "db"}]
    assert defs[0]["secrets"][0]["valueFrom"].startswith("arn:aws:secretsmanager:")
    assert out["secretArn"] == props["secretArn"] and out["apiKeyRef"] == props["apiKeyRef"]


def test_redact_leaves_clean_json_string_untouched():
    text = json.dumps({"Version": "2012-10-17", "Statement": []})
    assert redact({"policy": text}) == {"policy": text}
