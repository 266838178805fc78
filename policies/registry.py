"""Rule base class, registry, resource view and result types (Checkov style).

A rule is a small class (one per rule) deriving from :class:`Rule`: class attributes give its
stable kebab-case ``name`` (the id), ``description``, enforcement ``level``, ``category``,
``resource_types`` and ``source``; :meth:`Rule.check` is the pure validator
``check(res: ResourceInput) -> list[str]`` (failure messages; empty = PASSED). Each module of
:mod:`somastack_deploy.policies.rules` lists its rule classes in ``RULES``; the package builds
the one :class:`Registry` from those lists (nothing registers itself at import, and no check is
wrapped in a decorator).

A check raises :class:`Unknown` when it cannot decide (a value unknown at preview, an
unparsable document). Any other exception is a bug or an input the rule was not written for:
the result is ERROR (Checkov's fourth state), carrying the exception type and its one-line text
with every property value of the resource masked, and an ERROR blocks like a mandatory
violation — a rule that crashed has not checked anything.
Messages name properties and variables, never values (a secret must not leak into a report).

Enforcement levels are Pulumi CrossGuard's: ``mandatory`` (blocks ``pulumi up``; exit 1 in
``somastack-deploy plan``), ``advisory`` (reported, not blocking), ``disabled``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

Level = Literal["mandatory", "advisory", "disabled"]
Status = Literal["PASSED", "FAILED", "UNKNOWN", "ERROR"]
#: Rule categories (Checkov's check categories, kebab-case).
Category = Literal["secrets", "encryption", "networking", "backup-and-recovery", "logging", "convention"]
CATEGORIES: tuple[str, ...] = ("secrets", "encryption", "networking", "backup-and-recovery", "logging", "convention")

#: Longest exception text kept in an ERROR result (characters, after masking).
MAX_ERROR_TEXT = 200


class Unknown(Exception):
    """Raised by a check that cannot decide (``str(exc)`` says why, without values)."""


class NotApplicable(Exception):
    """Raised by a check when the resource is outside the rule's scope after all (e.g. a
    listener of a network load balancer for an ALB rule): no result is recorded."""


@dataclass(frozen=True)
class ResourceInput:
    """What a check sees of one resource.

    ``type``: Pulumi type token (``aws:rds/instance:Instance``); ``name``: logical name;
    ``urn``: URN (may be empty for hand-built inputs); ``props``: input properties with
    Pulumi wire (camelCase) names, secrets unwrapped, exactly what CrossGuard passes as
    ``ResourceValidationArgs.props``; ``provider_props``: the explicit provider's inputs
    (e.g. ``defaultTags``) or ``None``.
    """

    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    provider_props: Mapping[str, Any] | None = None

    def get(self, *path: str | int, default: Any = None) -> Any:
        """Nested property lookup: ``res.get("encryptionInfo", "encryptionInTransit", "clientBroker")``;
        ``default`` when any step is missing or ``None``."""
        node: Any = self.props
        for step in path:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                return default
            if node is None:
                return default
        return node

    @property
    def tags(self) -> dict[str, str]:
        """Effective AWS tags: the provider's ``defaultTags.tags`` overlaid with the resource's
        ``tags`` (as AWS computes ``tags_all``)."""
        merged: dict[str, str] = {}
        default = ((self.provider_props or {}).get("defaultTags") or {})
        if isinstance(default, str):  # a provider's object inputs arrive JSON-encoded
            import json

            try:
                default = json.loads(default)
            except ValueError:
                default = {}
        merged.update((default or {}).get("tags") or {})
        merged.update(self.props.get("tags") or {})
        return {str(k): str(v) for k, v in merged.items() if v is not None}

    def tag(self, key: str) -> str | None:
        """The effective tag ``key`` matched without case and ``-``/``_`` separators
        (``Environment`` = ``environment``; ``ManagedBy`` = ``managed-by``), or ``None``."""
        want = _norm_tag(key)
        for k, v in self.tags.items():
            if _norm_tag(k) == want:
                return v
        return None


def _norm_tag(key: str) -> str:
    return key.lower().replace("-", "").replace("_", "").replace(":", "")


class Rule:
    """Base class of every policy rule (one small class per rule, Checkov style).

    Class attributes: ``name``: stable kebab-case id (CrossGuard policy name, SARIF ruleId);
    ``description``: one sentence; ``level``: enforcement level; ``category``: one of
    :data:`CATEGORIES`; ``resource_types``: type tokens it applies to (``aws:*`` = every type of
    the package); ``source``: where the rule comes from (seed section and/or AWS/Pulumi doc).
    :meth:`check` is the pure validator. Rules hold no state; instances are compared by identity.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    level: ClassVar[Level] = "mandatory"
    category: ClassVar[Category]
    resource_types: ClassVar[tuple[str, ...]]
    source: ClassVar[str]

    def check(self, res: ResourceInput) -> list[str]:  # pragma: no cover - interface
        """Failure messages for ``res`` (empty list: PASSED). Raises :class:`Unknown` (cannot
        decide) or :class:`NotApplicable` (outside the rule's scope after all)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<Rule {self.name}>"


@dataclass(frozen=True)
class CheckResult:
    """The result of one rule on one resource (PASSED/FAILED/UNKNOWN/ERROR); ``messages`` are the
    failure messages (FAILED), the reason (UNKNOWN) or ``"<ExceptionType>: <one line>"`` (ERROR,
    property values masked)."""

    rule: str
    level: Level
    status: Status
    resource_type: str
    resource: str
    urn: str
    messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Violation:
    """One policy violation: ``policy`` (rule name), ``resource`` (logical name),
    ``resource_type``, ``urn``, ``level`` (enforcement level), ``message`` (value-free)."""

    policy: str
    resource: str
    resource_type: str
    urn: str
    level: Level
    message: str

    def to_dict(self) -> dict:
        """The plan JSON shape: ``{"policy", "resource", "type", "urn", "level", "message"}``."""
        return {"policy": self.policy, "resource": self.resource, "type": self.resource_type,
                "urn": self.urn, "level": self.level, "message": self.message}


class Registry:
    """Rule instances keyed by resource type token; iteration order is the order added.
    ``Registry(rules)`` adds each of ``rules`` (see :meth:`add`)."""

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self._rules: dict[str, Rule] = {}
        self._by_type: dict[str, list[Rule]] = {}
        for r in rules:
            self.add(r)

    def add(self, rule: Rule) -> Rule:
        """Register ``rule`` and return it. Raises ``ValueError`` on a duplicate or non-kebab-case
        name, an unknown level or category, or no resource types."""
        import re

        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name):
            raise ValueError(f"rule name {rule.name!r} is not kebab-case")
        if rule.name in self._rules:
            raise ValueError(f"duplicate rule {rule.name!r}")
        if rule.level not in ("mandatory", "advisory", "disabled"):
            raise ValueError(f"rule {rule.name!r}: unknown level {rule.level!r}")
        if rule.category not in CATEGORIES:
            raise ValueError(f"rule {rule.name!r}: unknown category {rule.category!r}")
        if not rule.resource_types or isinstance(rule.resource_types, str):
            raise ValueError(f"rule {rule.name!r}: resource_types must be a non-empty tuple of type tokens")
        self._rules[rule.name] = rule
        for token in rule.resource_types:
            self._by_type.setdefault(token, []).append(rule)
        return rule

    def remove(self, name: str) -> Rule:
        """Unregister and return the rule ``name``; ``KeyError`` when there is none."""
        rule = self._rules.pop(name)
        for token in rule.resource_types:
            self._by_type[token].remove(rule)
            if not self._by_type[token]:
                del self._by_type[token]
        return rule

    def for_type(self, token: str) -> list[Rule]:
        """Rules that apply to resources of type ``token`` (empty list if none), in registration
        order. A rule's resource type may be a package wildcard such as ``aws:*``."""
        wanted = set(self._by_type.get(token, ())) | set(self._by_type.get(token.split(":", 1)[0] + ":*", ()))
        return [r for r in self._rules.values() if r in wanted]

    def __getitem__(self, name: str) -> Rule:
        return self._rules[name]

    def __iter__(self):
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def types(self) -> set[str]:
        """Every resource type token some rule applies to."""
        return set(self._by_type)


def _string_leaves(node: Any, out: set[str]) -> None:
    if isinstance(node, str):
        out.add(node)
    elif isinstance(node, Mapping):
        for k, v in node.items():
            _string_leaves(v, out)
    elif isinstance(node, (list, tuple)):
        for v in node:
            _string_leaves(v, out)


def error_text(exc: BaseException, res: ResourceInput) -> str:
    """``"<ExceptionType>: <first line of str(exc)>"`` with every string value found in the
    resource's ``props`` and ``provider_props`` (3 characters or longer) replaced by ``***``,
    cut to :data:`MAX_ERROR_TEXT` characters. A value a check put into its exception (e.g.
    ``int()`` of a secret) thus never reaches a report."""
    lines = str(exc).strip().splitlines()
    text = lines[0].strip() if lines else ""
    values: set[str] = set()
    _string_leaves(res.props, values)
    _string_leaves(res.provider_props or {}, values)
    for value in sorted((v for v in values if len(v) >= 3), key=len, reverse=True):
        text = text.replace(value, "***")
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT - 3] + "..."


def run_rule(r: Rule, res: ResourceInput) -> CheckResult | None:
    """Run one rule on one resource and classify the outcome. A check that raises
    :class:`Unknown` (or CrossGuard's ``UnknownValueError``) gives UNKNOWN,
    :class:`NotApplicable` gives ``None``; any other ``Exception`` (a bug, or a property of a
    shape the rule was not written for, e.g. ``retentionInDays: "abc"``) gives ERROR with
    :func:`error_text` (type and one line, values masked). ``BaseException`` outside
    ``Exception`` (``KeyboardInterrupt``) propagates."""
    try:
        messages = r.check(res)
    except NotApplicable:
        return None
    except Unknown as exc:
        return CheckResult(r.name, r.level, "UNKNOWN", res.type, res.name, res.urn, (str(exc),))
    except Exception as exc:
        if type(exc).__name__ == "UnknownValueError":
            return CheckResult(r.name, r.level, "UNKNOWN", res.type, res.name, res.urn,
                               ("a property is unknown until the resource is created",))
        return CheckResult(r.name, r.level, "ERROR", res.type, res.name, res.urn, (error_text(exc, res),))
    status: Status = "FAILED" if messages else "PASSED"
    return CheckResult(r.name, r.level, status, res.type, res.name, res.urn, tuple(messages))
