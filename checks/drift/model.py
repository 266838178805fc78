"""Drift items, the report and the baseline of accepted drift.

A :class:`DriftItem` says that one field of one object differs between what the repo / the
contract declares (``expected``) and what runs (``actual``): ``change`` is ``missing``
(declared, not live), ``extra`` (live, not declared) or ``changed``. Secret values never
appear: a secret's ``expected``/``actual`` are references (``ref+vault://…``) or
fingerprints (:func:`somastack_deploy.config_contract.masking.fingerprint`).

Report JSON (``version`` 1)::

    {"version": 1, "stack": "harness", "drift": true,
     "items": [{"kind": "service", "service": "kafka", "object": "topic somastack.events",
                "field": "retention.ms", "change": "changed", "expected": "604800000",
                "actual": "3600000", "secret": false, "source": "assets/kafka/topics.yaml",
                "key": "service:kafka:topic somastack.events:retention.ms"}],
     "accepted": [...same shape...], "checked": ["kafka", ...], "errors": ["milvus: refused: …"]}

Baseline file: a previous report's JSON, or ``{"version": 1, "accepted": [{"key": ...,
"actual": ...}]}``; an item is accepted when its ``key`` and ``actual`` match an entry (so
a further change of an accepted field is reported again).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from somastack_deploy.config_contract.errors import InputError

JSON_VERSION = 1
MISSING, EXTRA, CHANGED = "missing", "extra", "changed"


@dataclass
class DriftItem:
    """One drifted field (see the module docstring). ``source`` names the declaring file."""

    kind: str
    service: str
    object: str
    field: str
    change: str
    expected: str | None = None
    actual: str | None = None
    secret: bool = False
    source: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.service}:{self.object}:{self.field}"

    def message(self) -> str:
        what = f"{self.object} {self.field}".strip()
        if not self.field:
            return f"{what}: {'declared but missing live' if self.change == MISSING else 'live but not declared'}"
        if self.change == MISSING:
            return f"{what}: declared {self.expected!s} but missing live"
        if self.change == EXTRA:
            return f"{what}: live {self.actual!s} but not declared"
        return f"{what}: declared {self.expected!s}, live {self.actual!s}"

    def to_json(self) -> dict:
        return {**asdict(self), "key": self.key}


@dataclass
class DriftReport:
    """Items found, items accepted by the baseline, what was checked, and errors (a service
    that could not be inspected: the report is then incomplete)."""

    stack: str
    items: list[DriftItem] = field(default_factory=list)
    accepted: list[DriftItem] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def drift(self) -> bool:
        return bool(self.items)

    def apply_baseline(self, accepted: set[tuple[str, str | None]]) -> None:
        keep, acc = [], []
        for it in self.items:
            (acc if (it.key, it.actual) in accepted else keep).append(it)
        self.items, self.accepted = keep, self.accepted + acc

    def to_json(self) -> dict:
        return {"version": JSON_VERSION, "stack": self.stack, "drift": self.drift,
                "items": [i.to_json() for i in self.items], "accepted": [i.to_json() for i in self.accepted],
                "checked": sorted(self.checked), "errors": self.errors, "notes": self.notes}


def load_baseline(path: str) -> set[tuple[str, str | None]]:
    """``{(key, actual)}`` from a baseline file (see the module docstring). Raises
    :class:`InputError` when it is unreadable or not a baseline."""
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except OSError as err:
        raise InputError(err.strerror or "unreadable", path=path) from None
    except json.JSONDecodeError as err:
        raise InputError(f"not JSON ({err.msg})", path=path, line=err.lineno) from None
    if not isinstance(doc, dict) or doc.get("version") != JSON_VERSION:
        raise InputError("not a drift baseline (version 1)", path=path)
    entries = list(doc.get("accepted", [])) + list(doc.get("items", []))
    out = set()
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or "key" not in e:
            raise InputError(f"entry {i} has no key", path=path)
        out.add((e["key"], e.get("actual")))
    return out


def compare_maps(kind: str, service: str, obj: str, expected: dict, actual: dict, *, source: str | None = None,
                 secret_fields: set[str] = frozenset(), only_declared: bool = False) -> list[DriftItem]:
    """Field-by-field comparison of two flat maps (values compared as strings).
    ``only_declared``: fields present only live are not reported (e.g. server defaults)."""
    items = []
    for k in sorted(set(expected) | set(actual)):
        e, a = expected.get(k), actual.get(k)
        if k in expected and k not in actual:
            items.append(DriftItem(kind, service, obj, k, MISSING, _s(e), None, k in secret_fields, source))
        elif k in actual and k not in expected:
            if not only_declared:
                items.append(DriftItem(kind, service, obj, k, EXTRA, None, _s(a), k in secret_fields, source))
        elif _s(e) != _s(a):
            items.append(DriftItem(kind, service, obj, k, CHANGED, _s(e), _s(a), k in secret_fields, source))
    return items


def _s(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return json.dumps(sorted(str(x) for x in v))
    if isinstance(v, dict):
        return json.dumps(v, sort_keys=True)
    return str(v)
