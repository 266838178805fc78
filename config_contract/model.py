"""The validated model of a configuration: a pydantic v2 model generated from the catalog.

:func:`contract_model` returns ``ContractConfig``: one optional field per catalogued canonical
name (values are the strings an environment carries, constrained by type: enums as ``Literal``,
ports/ints/bools by pattern and range, URLs and hosts by shape), ``extra="forbid"`` so that an
unknown ``SA01_*``/``SOMA_*``/``SFM_*``/``SOMASTACK_*`` name is a validation error (the caller
turns it into a finding with a did-you-mean suggestion).

:func:`json_schema` is the contract as JSON Schema draft 2020-12 (``somastack-deploy schema``):
the model's schema plus the aliases (``deprecated: true`` where the seeds' spelling is
superseded) and a ``propertyNames`` clause that rejects unknown contract-prefixed names while
allowing any other variable.

Validator messages never contain the value (it may be a secret).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, create_model

from .catalog import CATALOG, CONTRACT_PREFIXES, Var
from .grammar.references import REFERENCE_PATTERN, is_reference, is_unbraced_reference

BOOL_VALUES = ("true", "false", "True", "False", "TRUE", "FALSE", "1", "0", "yes", "no", "on", "off")
BOOL_PATTERN = "^(" + "|".join(BOOL_VALUES) + ")$"
INT_PATTERN = r"^-?[0-9]+$"
PORT_PATTERN = r"^([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$"  # 1-65535
#: A whole reference in any scheme of the grammar (``file://`` included: the model is not
#: environment-aware; VIBE-164 judges ``file://`` by environment) or ``$VAR``.
REF_PATTERN = REFERENCE_PATTERN + r"|\$[A-Za-z_][A-Za-z0-9_]*"
URL_PATTERN = rf"^({REF_PATTERN}|[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#]+(/\S*)?)$"
HOST_PATTERN = rf"^({REF_PATTERN}|[A-Za-z0-9_.:\[\]-]+)$"
HOSTPORTS_PATTERN = rf"^({REF_PATTERN}|[A-Za-z0-9_.\[\]:-]+:[0-9]{{1,5}}(,[A-Za-z0-9_.\[\]:-]+:[0-9]{{1,5}})*)$"

_URL = re.compile(URL_PATTERN)


def parse_bool(value: str) -> bool:
    """``true/1/yes/on`` → True, ``false/0/no/off`` → False (any case). Raises ``ValueError``."""
    low = value.strip().lower()
    if low in ("true", "1", "yes", "on"):
        return True
    if low in ("false", "0", "no", "off"):
        return False
    raise ValueError("not a boolean (true/false)")


def _dsn_shape(value: str) -> str:
    if is_reference(value, allow_file=True) or is_unbraced_reference(value):
        return value
    if not _URL.match(value):
        raise ValueError("not a connection URL (scheme://[user[:password]@]host[:port]/…) or a reference")
    return value


def _field_type(var: Var) -> Any:
    if var.type == "enum":
        return Literal[tuple(var.allowed)]  # type: ignore[valid-type]
    if var.type == "bool":
        return Annotated[str, Field(pattern=BOOL_PATTERN)]
    if var.type == "int":
        return Annotated[str, Field(pattern=INT_PATTERN)]
    if var.type == "port":
        return Annotated[str, Field(pattern=PORT_PATTERN)]
    if var.type == "url":
        return Annotated[str, Field(pattern=URL_PATTERN)]
    if var.type == "dsn":
        return Annotated[str, AfterValidator(_dsn_shape)]
    if var.type == "host":
        return Annotated[str, Field(pattern=HOST_PATTERN)]
    if var.type == "hostports":
        return Annotated[str, Field(pattern=HOSTPORTS_PATTERN)]
    return str


def _schema_extra(var: Var) -> dict:
    extra: dict[str, Any] = {"x-services": list(var.services), "x-source": var.source, "x-required": var.required}
    if var.secret:
        extra["writeOnly"] = True
        extra["x-secret"] = True
    if var.default is not None:
        extra["x-default"] = var.default
    if var.aliases:
        extra["x-aliases"] = [a.name for a in var.aliases]
    if var.stack_provided:
        extra["x-stack-provided"] = var.stack_provided
    return extra


@lru_cache(maxsize=1)
def contract_model():
    """The ``ContractConfig`` pydantic model class (built once from the catalog)."""
    fields = {
        var.name: (_field_type(var), Field(default=None, description=var.description, json_schema_extra=_schema_extra(var)))
        for var in CATALOG
    }
    return create_model(
        "ContractConfig",
        __config__=ConfigDict(extra="forbid", title="SomaStack configuration contract",
                              hide_input_in_errors=True, str_strip_whitespace=False),
        **fields,
    )


def json_schema() -> dict:
    """The contract as a JSON Schema (draft 2020-12) describing an environment (name → string)."""
    schema = contract_model().model_json_schema()
    props: dict[str, dict] = schema["properties"]
    for name, prop in props.items():
        prop.pop("default", None)
        if "x-default" in prop:
            prop["default"] = prop.pop("x-default")
    for var in CATALOG:
        for alias in var.aliases:
            sub = {k: v for k, v in props[var.name].items() if k not in ("title", "x-aliases", "x-required", "default")}
            sub["description"] = f"Alias of {var.name} ({alias.source}). " + (alias.note or "")
            sub["deprecated"] = alias.deprecated
            if alias.value_map is not None:
                sub.pop("enum", None)
                sub.pop("const", None)
                sub.pop("type", None)
                values = [k for k, v in alias.value_map.items() if v is not None]  # None: no counterpart
                if alias.case_insensitive:
                    values = sorted({v for k in values for v in (k, k.upper(), k.lower())})
                sub["enum"] = values
            elif var.case_insensitive and "enum" in sub:
                sub["enum"] = sorted({v for k in sub["enum"] for v in (k, k.lower())})
            props[alias.name] = sub
    for var in CATALOG:
        if var.case_insensitive and "enum" in props[var.name]:
            values = list(props[var.name]["enum"]) + list(var.value_map)
            props[var.name]["enum"] = sorted({v for k in values for v in (k, k.lower())})
    known = sorted(props)
    prefixes = "|".join(p.rstrip("_") for p in CONTRACT_PREFIXES)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://somastack.io/schemas/somastack-deploy/contract.json",
        "title": "SomaStack configuration contract",
        "description": "Environment variables of SomaAgent01, SomaBrain, SomaFractalMemory and shared infrastructure "
                       "(seed 000 §1, §5; seed 001 §2; seed 003). Values are strings, as in an env file.",
        "type": "object",
        "properties": dict(sorted(props.items())),
        "additionalProperties": {"type": "string"},
        "propertyNames": {"anyOf": [{"enum": known}, {"not": {"pattern": f"^({prefixes})_"}}]},
    }
