"""SomaStack detect-secrets plugins: the VIBE-164 literals that detect-secrets 1.5.0 misses.

Sources: seed 002 §3.2 "Hardcoded Secret Purge" (``dev-token-*`` in ``saas/memory.py``,
``django-insecure-*`` in ``services/gateway/settings.py``, ``POSTGRES_PASSWORD: soma`` and
``soma_dev_token`` in ``infra/saas/docker-compose.yml``), seed 002 "Verification Commands"
(``somastack2024``), seed 000 §4 Rule 164 (no hardcoded passwords, tokens or secrets).

These are ordinary detect-secrets plugins (:class:`RegexBasedDetector` subclasses): the scan
loads this file through detect-secrets' custom-plugin mechanism (``plugins_used`` entries with
``"path": "file://…/plugins.py"``), so detect-secrets' filters (``pragma: allowlist secret``,
templated/indirect references, …) apply to them exactly as to the built-in plugins, and a
detect-secrets baseline can record their results. They must not import ``config_contract``
(detect-secrets imports this file as a standalone module).
"""

from __future__ import annotations

import re
from typing import Generator

from detect_secrets.plugins.base import RegexBasedDetector

#: File extensions whose unquoted right-hand sides are program expressions, not literals.
_CODE_EXTENSIONS = (".py", ".pyi", ".js", ".ts", ".go", ".java", ".rb", ".rs", ".kt", ".scala", ".cs")

#: Values that are references or placeholders, never secrets (seed 000 §4: Vault or env refs).
_NOT_A_SECRET = re.compile(
    r"""^(?:
        \$\{[^}]*\}.*            # ${VAR} / ${VAR:-x} (compose, shell)
      | \$[A-Za-z_][A-Za-z0-9_]* # $VAR
      | ref\+(?:vault|awssecrets)://.*
      | file:///.*
      | \{\{.*\}\}               # templating
      | <[^>]*>                  # <placeholder>
      | (?i:none|null|true|false|yes|no|changeme_in_vault|~)
      | [0-9]+(?:\.[0-9]+)?      # numbers (ports, sizes)
      | \*+ | x+ | X+            # masked
    )$""",
    re.VERBOSE,
)


class _NamedGroupDetector(RegexBasedDetector):
    """A regex detector whose patterns mark the secret with a ``(?P<secret>…)`` group (or the
    whole match when there is none); detect-secrets' base class would instead yield every
    capture group."""

    secret_type = ""  # overridden; an empty type would be skipped as abstract otherwise

    def analyze_string(self, string: str) -> Generator[str, None, None]:
        for regex in self.denylist:
            for match in regex.finditer(string):
                value = match.group("secret") if "secret" in regex.groupindex else match.group(0)
                if value and not _NOT_A_SECRET.match(value):
                    yield value


class SomaStackDevDefaultDetector(_NamedGroupDetector):
    """Known SomaStack development defaults, wherever they appear (seed 002 §3.2).

    Reports the default itself as the secret: ``dev-token…`` tokens, Django's
    ``django-insecure-…`` keys, ``somastack2024``, ``soma_dev_token`` and the
    ``POSTGRES_PASSWORD: soma`` compose default.
    """

    secret_type = "SomaStack Dev Default"

    denylist = [
        re.compile(r"(?<![A-Za-z0-9])dev-token[A-Za-z0-9_.\-]*"),
        re.compile(r"django-insecure-[^\s'\"`]+"),
        re.compile(r"somastack2024"),
        re.compile(r"soma_dev_token"),
        re.compile(
            r"POSTGRES_PASSWORD[\"']?\s*(?:=|:)\s*[\"']?(?P<secret>soma)(?![A-Za-z0-9_\-])"
        ),
    ]


class SomaStackSecretAssignmentDetector(_NamedGroupDetector):
    """A literal assigned to a secret-named variable (``*_TOKEN``, ``*PASSWORD``, ``*SECRET``,
    ``*SECRET_KEY``, ``*API_KEY``, ``*ACCESS_KEY``, ``*PRIVATE_KEY``, ``*PASSWD``, ``*_PASS``,
    ``*_PWD``), e.g. ``API_TOKEN = "dev-token-…"`` which detect-secrets' keyword list (no
    ``token``) misses (seed 000 §4 Rule 164).

    In code files (``.py``, ``.js``, …) only quoted literals count (an unquoted right-hand side
    is an expression); in env, compose/YAML, Dockerfile and ini files unquoted values count too.
    References (``${VAR}``, ``ref+vault://…``, ``ref+awssecrets://…``), placeholders, numbers
    and booleans are not secrets.
    """

    secret_type = "SomaStack Secret Assignment"

    _NAME = (
        r"(?<![A-Za-z0-9_])[\"']?"
        r"(?P<name>[A-Za-z0-9_]*(?:TOKEN|PASSWORD|PASSWD|SECRET|SECRET_KEY|API_KEY|APIKEY"
        r"|ACCESS_KEY|PRIVATE_KEY|_PASS|_PWD))[\"']?"
    )
    _VALUE = r"(?P<secret>[^\s\"'#,;{}\[\]()]{3,})\s*(?:#.*)?$"
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
                if value and not _NOT_A_SECRET.match(value):
                    yield value

    def analyze_line(self, filename: str, line: str, line_number: int = 0, context=None, **kwargs):
        """Like the base class; in code files only the quoted-literal pattern applies."""
        return super().analyze_line(filename=filename, line=line, line_number=line_number, context=context,
                                    quoted_only=filename.endswith(_CODE_EXTENSIONS), **kwargs)


_REFERENCE_PREFIXES = ("ref+vault://", "ref+awssecrets://", "file:///", "${")


def is_secret_reference(secret: str) -> bool:
    """detect-secrets filter: the "secret" is a reference to one, not a literal.

    ``ref+vault://…``, ``ref+awssecrets://…`` (the ``vals`` convention), ``file:///…`` and
    ``${VAR}`` are what seed 000 §4 Rule 164 asks for; detect-secrets' keyword plugin reports
    e.g. ``SOMA_DB_PASSWORD=ref+vault://secret/soma/db#/password`` through its ini transformer
    (which cuts the value at ``#``). Loaded with ``filters_used: [{"path":
    "file://…/plugins.py::is_secret_reference"}]``.
    """
    return secret.startswith(_REFERENCE_PREFIXES)
