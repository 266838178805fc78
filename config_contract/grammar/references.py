"""The secret-reference grammar (seed 000 §4 Rule 164: secrets come from Vault, Secrets
Manager or the environment, never as literals).

One owner for "is this value a reference, and to what?". Every form is matched against the
*whole* value (a reference followed or preceded by anything else is not a reference:
``${X}hunter2`` is a literal):

=================  =========================================  ==========================
scheme             form                                       ``path`` / ``key``
=================  =========================================  ==========================
``vault``          ``ref+vault://PATH[?QUERY]#/KEY``           ``PATH``; ``KEY`` split on
                                                              ``/`` (required)
``awssecrets``     ``ref+awssecrets://NAME[?QUERY][#/KEY]``    name or ARN; optional key
``awsssm``         ``ref+awsssm://PATH[?QUERY][#/KEY]``        parameter path; optional key
``env``            ``${VAR}``                                 ``VAR``; ``()``
``pulumi``         ``ref+pulumi-secure://NAME``                config key; ``()`` (what
                                                              :mod:`..sources` makes of a
                                                              Pulumi ``{secure: …}`` value)
``file``           ``file:///ABS/PATH#KEY``                    absolute path; ``KEY`` split
                                                              on ``.`` — only when the
                                                              caller passes ``allow_file``
=================  =========================================  ==========================

``QUERY`` is ``k=v&…`` (``region=…`` as in the ``vals`` convention). ``PATH``, ``NAME`` and
``KEY`` hold no whitespace and no ``#``; ``PATH`` does not start with ``/`` (except SSM's). A
``#/KEY`` fragment may be written ``#KEY``. ``file://`` is the harness's credential
convention: allowed in DEV env files and in topology documents the harness writes, never in
PROD configuration (``allow_file=False`` is the default).

The unbraced ``$VAR`` form (seed 000 §5.1 writes ``SECRET_KEY=$VAULT_SECRET_KEY``) is *not* a
reference here; :func:`is_unbraced_reference` recognises it so that callers can warn.

API (stable, used by the rules, the scan, topology, policies, plan redaction and the secret
backends): :class:`Reference`, :func:`parse_reference`, :func:`is_reference`,
:func:`is_unbraced_reference`, :func:`scheme_of`, :data:`SCHEMES`, :data:`BACKEND_SCHEMES`,
:data:`REFERENCE_PATTERN`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import parse_qs

#: Every scheme :func:`parse_reference` knows, in the order of the table above.
SCHEMES: tuple[str, ...] = ("vault", "awssecrets", "awsssm", "env", "pulumi", "file")

#: How :mod:`..sources` writes a Pulumi ``{secure: …}`` value: this prefix and the config key.
PULUMI_SECURE_PREFIX = "ref+pulumi-secure://"

#: Schemes a secret backend resolves remotely (``--resolve-secrets``).
BACKEND_SCHEMES: tuple[str, ...] = ("vault", "awssecrets", "awsssm")

_QUERY = r"(?:\?(?P<query>[^\s#]*))?"
_KEY = r"#/?(?P<key>[^\s#]+)"
_PATTERNS: dict[str, re.Pattern] = {
    "vault": re.compile(r"ref\+vault://(?P<path>[^\s#?/][^\s#?]*)" + _QUERY + _KEY),
    "awssecrets": re.compile(r"ref\+awssecrets://(?P<path>[^\s#?/][^\s#?]*)" + _QUERY + f"(?:{_KEY})?"),
    "awsssm": re.compile(r"ref\+awsssm://(?P<path>[^\s#?]+)" + _QUERY + f"(?:{_KEY})?"),
    "env": re.compile(r"\$\{(?P<path>[A-Za-z_][A-Za-z0-9_]*)\}"),
    "pulumi": re.compile(r"ref\+pulumi-secure://(?P<path>[^\s#?]+)"),  # PULUMI_SECURE_PREFIX
    "file": re.compile(r"file://(?P<path>/[^\s#]+)#(?P<key>[^\s#]+)"),
}
_PREFIXES: tuple[tuple[str, str], ...] = (("ref+vault://", "vault"), ("ref+awssecrets://", "awssecrets"),
                                          ("ref+awsssm://", "awsssm"), ("${", "env"),
                                          (PULUMI_SECURE_PREFIX, "pulumi"), ("file://", "file"))
#: Every scheme's full pattern as one regular expression source without named groups (for
#: JSON Schema ``pattern`` clauses, ECMA-262 compatible): a whole value matches
#: ``^(?:REFERENCE_PATTERN)$`` exactly when :func:`parse_reference` with ``allow_file=True``
#: accepts it.
REFERENCE_PATTERN: str = "|".join(re.sub(r"\(\?P<[a-z]+>", "(?:", _PATTERNS[s].pattern) for s in SCHEMES)

_UNBRACED = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Reference:
    """A parsed reference. ``scheme``: one of :data:`SCHEMES`; ``path``: the Vault path, AWS
    secret name or ARN, SSM parameter, environment variable, Pulumi config key or file path;
    ``key``: the fragment's parts (``("password",)``; ``()`` when none); ``params``: the query
    (``{"region": "eu-west-1"}``); ``text``: the reference as written (not a secret)."""

    scheme: str
    path: str
    key: tuple[str, ...] = ()
    params: Mapping[str, str] = field(default_factory=dict)
    text: str = ""

    def describe(self) -> str:
        """The reference in canonical form, e.g. ``ref+vault://secret/soma/db#/password``."""
        if self.scheme == "env":
            return "${%s}" % self.path
        if self.scheme == "file":
            return f"file://{self.path}#{'.'.join(self.key)}"
        prefix = PULUMI_SECURE_PREFIX if self.scheme == "pulumi" else f"ref+{self.scheme}://"
        return prefix + self.path + ("#/" + "/".join(self.key) if self.key else "")


def scheme_of(value: object) -> str | None:
    """The scheme whose opening ``value`` starts with (``ref+vault://`` → ``"vault"``, ``${`` →
    ``"env"``, ``file://`` → ``"file"``), whether or not the rest is well formed; ``None`` for a
    value that does not even start like a reference (or a non-string). For callers that must
    tell "a malformed reference of scheme X" from "not a reference at all" (the secret backends'
    ``SECRET-REF-INVALID``, error messages that name the scheme but not the value). Never
    raises."""
    if not isinstance(value, str):
        return None
    return next((s for prefix, s in _PREFIXES if value.startswith(prefix)), None)


def parse_reference(value: object, *, allow_file: bool = False) -> Reference | None:
    """The :class:`Reference` ``value`` is, or ``None`` when it is not one (a literal, a
    malformed reference, a reference with anything around it, a non-string, ``file://`` without
    ``allow_file``). Never raises."""
    scheme = scheme_of(value)
    if scheme is None or (scheme == "file" and not allow_file):
        return None
    match = _PATTERNS[scheme].fullmatch(value)
    if match is None:
        return None
    groups = match.groupdict()
    raw_key = groups.get("key") or ""
    key = tuple(p for p in raw_key.split("." if scheme == "file" else "/") if p)
    query = groups.get("query") or ""
    params = {k: v[-1] for k, v in parse_qs(query).items()} if query else {}
    return Reference(scheme, match.group("path"), key, params, value)


def is_reference(value: object, *, allow_file: bool = False) -> bool:
    """True when ``value`` is a whole reference (:func:`parse_reference` is not ``None``)."""
    return parse_reference(value, allow_file=allow_file) is not None


def is_unbraced_reference(value: object) -> bool:
    """True for a whole ``$VAR`` (the unbraced form; callers warn: write ``${VAR}``)."""
    return isinstance(value, str) and _UNBRACED.fullmatch(value) is not None
