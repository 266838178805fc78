"""SomaStack detect-secrets plugins: the VIBE-164 literals that detect-secrets 1.5.0 misses.

Sources: seed 002 §3.2 "Hardcoded Secret Purge" (``dev-token-*`` in ``saas/memory.py``,
``django-insecure-*`` in ``services/gateway/settings.py``, ``POSTGRES_PASSWORD: soma`` and
``soma_dev_token`` in ``infra/saas/docker-compose.yml``), seed 002 "Verification Commands"
(``somastack2024``), seed 000 §4 Rule 164 (no hardcoded passwords, tokens or secrets).

These are ordinary detect-secrets plugins (:class:`RegexBasedDetector` subclasses): the scan
loads this file through detect-secrets' custom-plugin mechanism (``plugins_used`` entries with
``"path": "file://…/plugins.py"``), so detect-secrets' filters (``pragma: allowlist secret``,
templated/indirect references, …) apply to them exactly as to the built-in plugins, and a
detect-secrets baseline can record their results. detect-secrets imports this file as a standalone module, so it
imports the contract's grammar by its absolute name (``somastack_deploy`` must be installed).
"""

from __future__ import annotations

import re
from typing import Generator

from detect_secrets.plugins.base import RegexBasedDetector

from somastack_deploy.config_contract.grammar.references import is_reference, is_unbraced_reference
from somastack_deploy.config_contract.grammar.secrets import (DEV_DEFAULT_PATTERNS, is_field_name_constant,
                                                              is_image_reference, is_placeholder,
                                                              is_url_without_userinfo)

#: File extensions whose unquoted right-hand sides are program expressions, not literals.
_CODE_EXTENSIONS = (".py", ".pyi", ".js", ".ts", ".go", ".java", ".rb", ".rs", ".kt", ".scala", ".cs")

_SHELL_INTERPOLATION = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?:(?P<op>:?[-=?+])(?P<default>[^{}]*))?\}")
_WORD_OR_NUMBER = re.compile(r"(?i:none|null|nil|true|false|yes|no|on|off|~)|[0-9]+(?:\.[0-9]+)?[a-z]{0,2}")


# ---- filters: small named functions in detect-secrets' filter style (True = not a secret) ----

def is_reference_value(secret: str) -> bool:
    """The whole value is a secret reference (``ref+vault://…#/KEY``, ``ref+awssecrets://…``,
    ``ref+awsssm://…``, ``${VAR}``, a Pulumi secret, ``file:///…#KEY``; grammar:
    :mod:`somastack_deploy.config_contract.grammar.references`) or ``$VAR``."""
    return is_reference(secret, allow_file=True) or is_unbraced_reference(secret)


def is_shell_interpolation(secret: str) -> bool:
    """The whole value is a shell/compose interpolation ``${VAR}``, ``${VAR:?msg}``, or
    ``${VAR:-DEFAULT}`` whose DEFAULT is itself not a secret (empty, a reference, a
    placeholder, …). ``${X}hunter2`` is not one: text around a reference is a literal."""
    match = _SHELL_INTERPOLATION.fullmatch(secret)
    if match is None:
        return False
    op, default = match.group("op"), match.group("default")
    if not op or op.lstrip(":") in ("?", "+") or not default:
        return True
    return is_not_a_literal(default)


def is_word_or_number(secret: str) -> bool:
    """``true``/``false``/``none``/``null``/``~``…, a number or a size (``3600``, ``1.5``,
    ``10s``, ``64mb``): configuration values, not secrets."""
    return _WORD_OR_NUMBER.fullmatch(secret) is not None


_LEADING_INTERPOLATION = re.compile(r"^(?:\$\{[^{}]*\}|\$[A-Za-z_][A-Za-z0-9_]*)+")


def literal_part(value: str) -> str:
    """The literal a value carries, as the secret to report and hash: the DEFAULT of
    ``${VAR:-DEFAULT}``, the text after leading interpolations (``${X}hunter2`` → ``hunter2``;
    detect-secrets' ``is_prefixed_with_dollar_sign`` filter would drop a secret starting with
    ``$``), else ``value`` itself."""
    match = _SHELL_INTERPOLATION.fullmatch(value)
    if match is not None and match.group("default"):
        return match.group("default")
    return _LEADING_INTERPOLATION.sub("", value) or value


def is_not_a_literal(secret: str) -> bool:
    """Any of the value filters: a reference, an interpolation, a placeholder (``changeme``,
    ``<…>``, ``xxx``, ``{{ … }}``), a word or number, a URL without userinfo, an image
    reference."""
    return (is_reference_value(secret) or is_shell_interpolation(secret) or is_placeholder(secret)
            or is_word_or_number(secret) or is_url_without_userinfo(secret) or is_image_reference(secret))


class _NamedGroupDetector(RegexBasedDetector):
    """A regex detector whose patterns mark the secret with a ``(?P<secret>…)`` group (or the
    whole match when there is none); detect-secrets' base class would instead yield every
    capture group."""

    secret_type = ""  # overridden; an empty type would be skipped as abstract otherwise

    def analyze_string(self, string: str) -> Generator[str, None, None]:
        for regex in self.denylist:
            for match in regex.finditer(string):
                value = match.group("secret") if "secret" in regex.groupindex else match.group(0)
                if value and not is_not_a_literal(value):
                    yield value


class SomaStackDevDefaultDetector(_NamedGroupDetector):
    """Known SomaStack development defaults, wherever they appear (seed 002 §3.2).

    Reports the default itself as the secret: ``dev-token…`` tokens, Django's
    ``django-insecure-…`` keys, ``somastack2024``, ``soma_dev_token`` and the
    ``POSTGRES_PASSWORD: soma`` compose default.
    """

    secret_type = "SomaStack Dev Default"

    denylist = list(DEV_DEFAULT_PATTERNS)


class SomaStackSecretAssignmentDetector(_NamedGroupDetector):
    """A literal assigned to a secret-named variable (``*_TOKEN``, ``*PASSWORD``, ``*SECRET``,
    ``*SECRET_KEY``, ``*API_KEY``, ``*ACCESS_KEY``, ``*PRIVATE_KEY``, ``*PASSWD``, ``*_PASS``,
    ``*_PWD``), e.g. ``API_TOKEN = "dev-token-…"`` which detect-secrets' keyword list (no
    ``token``) misses (seed 000 §4 Rule 164).

    In code files (``.py``, ``.js``, …) only quoted literals count (an unquoted right-hand side
    is an expression); in env, compose/YAML, Dockerfile and ini files unquoted values count too.
    Not secrets (:func:`is_not_a_literal`, :func:`is_field_name_constant`): references and
    interpolations, placeholders, numbers and booleans, URLs without userinfo, image
    references, field-name constants (``PASSWORD_FIELD = "password"``) and header names.
    """

    secret_type = "SomaStack Secret Assignment"

    _NAME = (
        r"(?<![A-Za-z0-9_/])[\"']?"
        r"(?P<name>[A-Za-z0-9_]*(?:TOKEN|PASSWORD|PASSWD|SECRET|SECRET_KEY|API_KEY|APIKEY"
        r"|ACCESS_KEY|PRIVATE_KEY|_PASS|_PWD))[\"']?"
    )
    _WORDS = r"(?:TOKEN|PASSWORD|PASSWD|SECRET|SECRET_KEY|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY|_PASS|_PWD)"
    #: Every line a pattern of :attr:`denylist` matches also matches this (an assignment right
    #: after a secret word, or ``ENV``/``ARG`` before one): the scan's prefilter searches it once
    #: per file instead of the words alone, which occur in every other identifier.
    prefilter_pattern = re.compile(_WORDS + r"[\"']?\s*(?::=|=|:)|(?:ENV|ARG)\s+[\"']?[A-Za-z0-9_]*" + _WORDS,
                                   re.IGNORECASE)
    #: The same condition, faster, for the line's case-folded form (the contract grammar's
    #: ``fold``: ``casefold()`` with ``İ``/``ı`` → ``i``, so every letter these words match under
    #: ``re.IGNORECASE`` is one lower-case ASCII letter there, and blanks, quotes, ``:`` and ``=``
    #: are kept): the assignment part, searched; the ``ENV``/``ARG`` part, anchored at the line
    #: start like the Dockerfile pattern of :attr:`denylist`. The fold of every line a pattern of
    #: :attr:`denylist` matches, matches one of them; case-sensitive, they search 4x faster.
    prefilter_folded_parts = (
        re.compile(r"(?:token|passw(?:or)?d|secret(?:_key)?|api_?key|access_key|private_key|_p(?:ass|wd))"
                   r"[\"']?\s*[:=]"),
        re.compile(r"\A\s*(?:env|arg)\s+[\"']?[a-z0-9_]*" + _WORDS.lower()),
    )
    _VALUE = r"(?P<secret>[^\s\"'#,;\[\]()]{3,})\s*(?:#.*)?$"
    denylist = [
        # quoted literal: NAME = "v", NAME: 'v', "NAME": "v", NAME := "v"
        re.compile(_NAME + r"\s*(?::=|=|:)\s*(?P<q>[\"'])(?P<secret>[^\"'\s]{3,})(?P=q)", re.IGNORECASE),
        # unquoted value (env/compose/YAML): NAME=v, NAME: v, - NAME=v
        re.compile(_NAME + r"\s*(?:=|:)[ \t]*" + _VALUE, re.IGNORECASE),
        # Dockerfile: ENV NAME v / ARG NAME v
        re.compile(r"^\s*(?:ENV|ARG)\s+" + _NAME + r"[ \t]+" + _VALUE, re.IGNORECASE),
    ]

    def analyze_string(self, string: str, quoted_only: bool = False) -> Generator[str, None, None]:
        """Yield the literal values; ``quoted_only`` restricts to the quoted-literal pattern."""
        patterns = self.denylist[:1] if quoted_only else self.denylist
        for regex in patterns:
            for match in regex.finditer(string):
                value = match.group("secret")
                if value and not is_not_a_literal(value) and not is_field_name_constant(match.group("name"), value):
                    yield literal_part(value)

    def analyze_line(self, filename: str, line: str, line_number: int = 0, context=None, **kwargs):
        """Like the base class; in code files only the quoted-literal pattern applies."""
        return super().analyze_line(filename=filename, line=line, line_number=line_number, context=context,
                                    quoted_only=filename.endswith(_CODE_EXTENSIONS), **kwargs)


_REFERENCE_TOKEN = re.compile(r"(?:ref\+[a-z-]+://|file://|\$\{)[^\s\"',;]*")


def is_placeholder_secret(secret: str) -> bool:
    """detect-secrets filter (every plugin): the secret is a placeholder (``changeme``,
    ``<…>``, ``xxx``, ``{{ … }}``; :func:`somastack_deploy.config_contract.grammar.secrets.is_placeholder`)."""
    return is_placeholder(secret)


_ASSIGNED = re.compile(r"""(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)["']?\s*(?::=|=|:)\s*["']?(?P<value>[^"'\s]*)""")


def is_field_name_assignment(secret: str, line: str = "") -> bool:
    """detect-secrets filter (every plugin): ``line`` assigns ``secret`` to a name whose own
    words it is, or it is a header name (``PASSWORD_FIELD = "password"``, ``TOKEN_HEADER =
    "X-Auth-Token"``; :func:`somastack_deploy.config_contract.grammar.secrets.is_field_name_constant`)."""
    return any(match.group("value") == secret and is_field_name_constant(match.group("name").rsplit(".", 1)[-1], secret)
               for match in _ASSIGNED.finditer(line))


def is_secret_reference(secret: str, line: str = "") -> bool:
    """detect-secrets filter: the "secret" is a reference to one, not a literal.

    True when ``secret`` is a whole reference, or a piece of a whole reference written on
    ``line``: detect-secrets' keyword plugin reports e.g.
    ``SOMA_DB_PASSWORD=ref+vault://secret/soma/db#/password`` through its ini transformer, which
    cuts the value at ``#``. ``${X}hunter2`` is no reference (text around one is a literal).
    Loaded with ``filters_used: [{"path": "file://…/plugins.py::is_secret_reference"}]``.
    """
    if is_reference_value(secret):
        return True
    return any(secret in token and is_reference_value(token.rstrip(".")) for token in _REFERENCE_TOKEN.findall(line))
