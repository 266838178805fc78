"""Helpers shared by rules: the environment of a resource, boolean inputs, an ECS task
definition's container definitions."""

from __future__ import annotations

from typing import Any

from ..registry import ResourceInput, Unknown

#: Tag that carries the environment dimension (seed 000 §1: DEV | PROD); set by the components.
ENVIRONMENT_TAG = "Environment"

_PROD = {"PROD", "PRODUCTION"}
_DEV = {"DEV", "DEVELOPMENT"}


def environment_of(res: ResourceInput) -> str:
    """``"PROD"`` or ``"DEV"`` from the resource's effective ``Environment`` tag (provider
    default tags included; key matched without case, so ``environment`` counts). Raises :class:`Unknown` when the tag is missing or unrecognised."""
    value = str(res.tag(ENVIRONMENT_TAG) or "").strip().upper()
    if value in _PROD:
        return "PROD"
    if value in _DEV:
        return "DEV"
    raise Unknown(f"no {ENVIRONMENT_TAG}=DEV|PROD tag: cannot tell PROD from DEV")


def truthy(value: Any) -> bool:
    """A boolean input as Pulumi may pass it (bool, or "true"/"false" strings)."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def ecs_container_definitions(res: ResourceInput) -> list:
    """The ``containerDefinitions`` of an ECS task definition as a list (Pulumi passes the
    JSON string). Raises :class:`Unknown` when it is unknown, not JSON or not a list."""
    import json

    raw = res.props.get("containerDefinitions")
    if raw is None:
        raise Unknown("containerDefinitions is unknown")
    try:
        defs = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise Unknown("containerDefinitions is not JSON") from None
    if not isinstance(defs, list):
        raise Unknown("containerDefinitions is not a JSON list")
    return defs
