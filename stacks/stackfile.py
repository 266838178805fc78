"""Read ``Pulumi.<stack>.yaml`` into the flat config mapping the Pulumi runtime sees.

``load_stack_config("fargate-prod")`` → ``{"aws:region": "us-east-1",
"somastack:SA01_DEPLOYMENT_MODE": "PROD", "somastack:availabilityZones": [...], …}``: the
``config:`` mapping as is (lists/mappings kept; :func:`somastack_deploy.plan.runner.run_stack`
turns them into JSON as the Pulumi CLI does). Raises
:class:`config_contract.errors.InputError` for a missing or malformed file.
"""

from __future__ import annotations

from pathlib import Path

from config_contract.errors import InputError

ROOT = Path(__file__).resolve().parent.parent


def stack_file(stack: str, root: Path | None = None) -> Path:
    """Path of ``Pulumi.<stack>.yaml`` in the project root (or ``root``)."""
    return (root or ROOT) / f"Pulumi.{stack}.yaml"


def load_stack_config(stack: str, root: Path | None = None) -> dict[str, object]:
    """The ``config:`` mapping of ``Pulumi.<stack>.yaml`` (see module docstring)."""
    import yaml

    path = stack_file(stack, root)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("stack file not found", path=str(path)) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise InputError("not valid YAML", path=str(path), line=(mark.line + 1) if mark else None) from None
    config = (doc or {}).get("config") or {}
    if not isinstance(config, dict):
        raise InputError("'config' must be a mapping", path=str(path))
    out: dict[str, object] = {}
    for key, value in config.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (int, float)):
            value = str(value)
        out[str(key)] = value
    return out
