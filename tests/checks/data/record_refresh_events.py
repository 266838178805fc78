"""Record the engine events of a real ``pulumi refresh --preview-only`` for
``tests/checks/test_drift_engine_pure.py`` (writes ``refresh_events.jsonl`` next to this file).

Run from the repository root with the Pulumi CLI built (``somastack-services install pulumi``)::

    .venv/bin/python tests/checks/data/record_refresh_events.py

It deploys four ``JsonFile`` resources (tests/engine/fixtures/json_file_resource.py) to a
local file backend in a temporary directory, changes them out of band (a nested field, a list
item, a new key, a list's length, a deleted file, a secret output; a
secret output and a resource left unchanged), then runs
``Stack.preview_refresh`` with ``show_secrets=False`` and saves every engine event exactly as
the CLI sent it (the JSON the Automation API parses with ``EngineEvent.from_json``), one a
line. Temporary paths are replaced by ``/TMP`` so that the file does not depend on the run.
"""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
FIXTURES = ROOT / "tests" / "engine" / "fixtures"
sys.path.insert(0, str(FIXTURES))


def main() -> int:
    import pulumi
    from pulumi.automation import _stack

    from json_file_resource import JsonFile
    from somastack_deploy.checks.drift.engine import open_stack

    with tempfile.TemporaryDirectory(prefix="refresh-events-") as tmp:
        d = Path(tmp)
        (d / "state").mkdir()
        env = {"PULUMI_CONFIG_PASSPHRASE": secrets.token_urlsafe(24), "PYTHONPATH": str(FIXTURES),
               "PULUMI_HOME": str(d / "home")}
        files = {
            "cfg-app": {"replicas": 1, "mode": "prod", "ports": [80, 443],
                        "limits": {"cpu": "500m", "memory": "1Gi"}, "hosts": ["a", "b"]},
            "cfg-same": {"replicas": 2, "mode": "dev"},
            "cfg-gone": {"retention_ms": 604800000},
            "cfg-secret": {"token": "initial-token-value"},
            "cfg-secret-same": {"token": "unchanged-token-value"},
        }

        def program() -> None:
            for name, content in files.items():
                secret = name.startswith("cfg-secret")  # the whole content is a Pulumi secret
                JsonFile(name, path=str(d / f"{name}.json"), content=pulumi.Output.secret(content) if secret else content,
                         opts=pulumi.ResourceOptions(additional_secret_outputs=["content"]) if secret else None)

        stack = open_stack(program, "rec", f"file://{d / 'state'}", project_name="refresh-events", create=True,
                           env=env)
        stack.up(on_output=lambda _: None, color="never")
        (d / "cfg-app.json").write_text(json.dumps({"replicas": 3, "mode": "prod", "ports": [80, 8443],
                                                    "limits": {"cpu": "500m", "memory": "2Gi"},
                                                    "hosts": ["a", "b", "c"], "debug": True}))
        (d / "cfg-gone.json").unlink()
        (d / "cfg-secret.json").write_text(json.dumps({"token": "rotated-out-of-band"}))

        recorded: list[dict] = []
        real = _stack.EngineEvent.from_json

        def record(data):
            recorded.append(data)
            return real(data)

        _stack.EngineEvent.from_json = record
        try:
            stack.preview_refresh(on_event=lambda ev: None, show_secrets=False, suppress_progress=True,
                                  color="never")
        finally:
            _stack.EngineEvent.from_json = real
        stack.destroy(on_output=lambda _: None, color="never")
        text = "\n".join(json.dumps(e, sort_keys=True) for e in recorded) + "\n"
        for s in ("initial-token-value", "unchanged-token-value", "rotated-out-of-band", env["PULUMI_CONFIG_PASSPHRASE"]):
            assert s not in text, "a secret value in the recorded events"
        text = text.replace(str(d), "/TMP")
    (HERE / "refresh_events.jsonl").write_text(text, encoding="utf-8")
    print(f"{len(recorded)} events -> {HERE / 'refresh_events.jsonl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
