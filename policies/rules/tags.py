"""Required AWS tags on every taggable AWS resource.

``Project``, ``Environment`` (DEV | PROD, the environment dimension of seed 000 §1; the
PROD rules read it), ``Stack`` (the Pulumi stack name) and ``ManagedBy``. Keys match without
case and ``-``/``_`` (``project``, ``managed-by`` count). Provider default tags count
(``aws.Provider(default_tags=...)``), as AWS computes ``tags_all``.

Taggable = the pulumi-aws resource class accepts a ``tags`` argument (looked up once per type
token in the installed ``pulumi_aws``; when it cannot be imported, a resource with a ``tags``
input is taggable).

Source: AWS Whitepaper "Tagging Best Practices" (cost allocation, ownership, environment),
seed 000 §1 (the four dimensions), seed 000 §6 (stack identity).
"""

from __future__ import annotations

import importlib
import inspect
from functools import lru_cache

from ..registry import NotApplicable, ResourceInput, Rule
from ._env import ENVIRONMENT_TAG

REQUIRED_TAGS: tuple[str, ...] = ("Project", ENVIRONMENT_TAG, "Stack", "ManagedBy")
ENVIRONMENTS = ("DEV", "PROD")


def resolve_taggable(token: str) -> bool | None:
    """True/False when the pulumi-aws class for ``token`` (``aws:rds/instance:Instance``) does/does
    not accept ``tags``; ``None`` when it cannot be resolved (not ``pkg:module:Type``, no such
    module or class). Uncached: :func:`is_taggable` is the cached lookup the rule uses."""
    try:
        pkg, mod, typ = token.split(":")
        module = importlib.import_module(f"pulumi_aws.{mod.split('/')[0]}")
        cls = getattr(module, typ)
        return "tags" in inspect.signature(cls._internal_init).parameters
    except (ValueError, ImportError, AttributeError, TypeError):
        return None


#: :func:`resolve_taggable`, cached per type token (importing a pulumi-aws module is slow).
is_taggable = lru_cache(maxsize=None)(resolve_taggable)


class RequiredTags(Rule):
    """``required-tags``: Taggable AWS resources carry Project, Environment, Stack and ManagedBy tags."""

    name = "required-tags"
    description = "Taggable AWS resources carry Project, Environment, Stack and ManagedBy tags."
    level = "mandatory"
    category = "convention"
    resource_types = ("aws:*",)
    source = "AWS 'Tagging Best Practices'; seed 000 §1 and §6"

    def check(self, res: ResourceInput) -> list[str]:
        """Missing tags are listed by name; ``Environment`` must be DEV or PROD."""
        taggable = is_taggable(res.type)
        if taggable is False or (taggable is None and "tags" not in res.props):
            raise NotApplicable()
        out = []
        missing = [t for t in REQUIRED_TAGS if not res.tag(t)]
        if missing:
            out.append(f"missing tags: {', '.join(missing)}")
        env = res.tag(ENVIRONMENT_TAG)
        if env and env.upper() not in ENVIRONMENTS:
            out.append(f"tag {ENVIRONMENT_TAG} must be one of {', '.join(ENVIRONMENTS)}")
        return out


#: This module's rules, in report order.
RULES: tuple[type[Rule], ...] = (RequiredTags,)
