"""Secret names and secret values: one owner for "is this a secret, a placeholder or a
reference?" (seed 000 §4 Rule 164, seed 002 §3.2).

Names: :func:`is_secret_name` (the catalog's ``secret`` flag for catalogued names, else the
words of :data:`SECRET_WORDS`).

Values, each a small named predicate in the style of detect-secrets' filters (they take the
value, or the name and the value, and say "not a secret"):

- :func:`is_placeholder` — ``changeme…``, ``<…>``, ``xxx``/``***``, ``{{ … }}``,
  ``REPLACE_ME``/``TODO``/``TBD``;
- :func:`is_url_without_userinfo` — ``http://svc.internal:8080`` (a URL carrying no password);
- :func:`is_image_reference` — ``somastack/memory_token:latest``, ``ghcr.io/o/x@sha256:…``;
- :func:`is_field_name_constant` — ``PASSWORD_FIELD = "password"`` (the value is the name's
  own word) or ``TOKEN_HEADER = "X-Auth-Token"`` (an HTTP header name);
- :func:`is_benign_value` — empty, a reference (:mod:`.references`), ``$VAR``, an ARN, an
  absolute path. (Not placeholders: in a deployment's configuration ``PASSWORD=changeme`` is the
  password that will be used; only the source scan, which reads examples and docs, lets
  placeholders pass.)

Shapes: :func:`url_password` / :func:`has_literal_password` (a URL whose password is a literal,
not ``${VAR}``/``$VAR``/a reference), :data:`DEV_DEFAULT_PATTERNS` (seed 002 §3.2 dev defaults),
:func:`value_shape` (detect-secrets 1.5.0's value detectors plus the dev defaults: what kind of
secret a value looks like) and :func:`secret_reason` (why ``NAME=VALUE`` in a container
environment is a plaintext secret). No function here returns or logs a value.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from .references import is_reference, is_unbraced_reference

#: Words that make a name outside the catalog a secret's name.
SECRET_WORDS: tuple[str, ...] = ("PASSWORD", "PASSWD", "TOKEN", "SECRET", "API_KEY", "APIKEY", "PRIVATE_KEY",
                                 "ACCESS_KEY", "CREDENTIAL", "PRESHARED_KEY", "SIGNING_KEY", "ENCRYPTION_KEY",
                                 "MASTER_KEY")


def is_secret_name(name: str) -> bool:
    """True when ``name`` is a catalogued secret or, for names outside the catalog, when it
    contains one of :data:`SECRET_WORDS` (any case)."""
    from ..catalog import lookup

    var = lookup(name)
    if var is not None:
        return var.secret
    upper = name.upper()
    return any(word in upper for word in SECRET_WORDS)


_PLACEHOLDER = re.compile(
    r"""(?ix)
      change[-_]?me[\w.\-]*          # changeme, change-me, CHANGEME_IN_VAULT
    | <[^<>\n]*>                     # <password>, <your token>
    | [x*]{3,}(?:[-_.][x*]{3,})*     # xxx, XXXX-XXXX, ****
    | \{\{[^{}\n]*\}\}               # {{ .Values.password }} (templating)
    | replace[-_]?me | todo | tbd | your[-_][\w\-]*[-_]here
    """)


def is_placeholder(value: str) -> bool:
    """True when the whole ``value`` is a placeholder (see the module docstring), not a secret."""
    return _PLACEHOLDER.fullmatch(value.strip()) is not None


def url_password(value: str) -> str | None:
    """The (percent-decoded) password of a URL-shaped ``value``; ``None`` when there is none
    or ``value`` is not a URL."""
    if "://" not in value or "@" not in value:
        return None
    try:
        password = urlsplit(value.strip()).password
    except ValueError:
        return None
    return unquote(password) if password else None


def has_literal_password(value: str) -> bool:
    """True when ``value`` is a URL whose password is a literal (not ``${VAR}``, ``${VAR…}``,
    ``$VAR`` or a reference)."""
    password = url_password(value)
    return bool(password) and not (is_reference(password) or is_unbraced_reference(password)
                                   or password.startswith("${"))


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"]+")


def is_url_without_userinfo(value: str) -> bool:
    """True when ``value`` is one URL (``scheme://host…``) with no ``user:password@`` part."""
    v = value.strip()
    if not _URL.fullmatch(v):
        return False
    try:
        parts = urlsplit(v)
    except ValueError:
        return False
    return parts.password is None and "@" not in parts.netloc


_IMAGE = re.compile(
    r"(?:[a-z0-9][a-z0-9.\-]*(?::[0-9]+)?/)?"          # registry[:port]/
    r"[a-z0-9][a-z0-9._\-]*(?:/[a-z0-9][a-z0-9._\-]*)*"  # repository path
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127})?"         # :tag
    r"(?:@sha256:[a-f0-9]{64})?")


def is_image_reference(value: str) -> bool:
    """True when ``value`` is a container image reference with a repository path or a digest
    (``somastack/memory_token:latest``, ``ghcr.io/org/app@sha256:…``), OCI distribution
    grammar; a bare word is not judged an image."""
    v = value.strip()
    return ("/" in v or "@sha256:" in v) and _IMAGE.fullmatch(v) is not None


_HEADER = re.compile(r"(?i)x(?:-[a-z]+)+|authorization|proxy-authorization|cookie|set-cookie|www-authenticate")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")


def is_field_name_constant(name: str, value: str) -> bool:
    """True when ``value`` names a field rather than holding a secret: its words are all words
    of ``name`` (``PASSWORD_FIELD = "password"``, ``TOKEN_KEY = "token"``) or it is an HTTP
    header name (``TOKEN_HEADER = "X-Auth-Token"``, ``"Authorization"``)."""
    v = value.strip()
    if not v:
        return False
    if _HEADER.fullmatch(v):
        return True
    words = [w for w in _WORD_SPLIT.split(v.lower()) if w]
    if not words or not all(w.isalpha() for w in words):
        return False
    name_words = set(_WORD_SPLIT.split(name.lower())) | {name.lower().replace("_", "").replace("-", "")}
    return all(w in name_words for w in words)


def is_benign_value(value: str, *, allow_file: bool = True) -> bool:
    """True for values that are not secrets themselves: empty, a reference (``file://`` only
    with ``allow_file``), ``$VAR``, an ARN (``arn:aws…``), an absolute path (the ``*_FILE``
    conventions). A placeholder is not benign here (see the module docstring)."""
    v = value.strip()
    return (not v or is_reference(v, allow_file=allow_file) or is_unbraced_reference(v)
            or v.startswith(("arn:aws", "/")))


#: Known SomaStack development defaults (seed 002 §3.2 and its "Verification Commands"): the
#: ``secret`` group (or the whole match) is the default itself.
DEV_DEFAULT_PATTERNS: tuple[re.Pattern, ...] = (
    re.compile(r"(?<![A-Za-z0-9])dev-token[A-Za-z0-9_.\-]*"),
    re.compile(r"django-insecure-[^\s'\"`]+"),
    re.compile(r"somastack2024"),
    re.compile(r"soma_dev_token"),
    re.compile(r"POSTGRES_PASSWORD[\"']?\s*(?:=|:)\s*[\"']?(?P<secret>soma)(?![A-Za-z0-9_\-])"),
)

_SKIPPED_TYPES = frozenset({"Secret Keyword", "Base64 High Entropy String", "Hex High Entropy String",
                           "Public IP (ipv4)"})


@lru_cache(maxsize=1)
def _detectors() -> tuple:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    return tuple(cls() for typ, cls in sorted(get_mapping_from_secret_type_to_class().items())
                 if typ not in _SKIPPED_TYPES and not typ.startswith("SomaStack"))


def value_shape(value: object) -> str | None:
    """The kind of secret ``value`` looks like (``"AWS Access Key"``, ``"URL with password"``,
    ``"SomaStack Dev Default"``), or ``None``: detect-secrets 1.5.0's value detectors (not its
    keyword and entropy detectors, which judge names and random-looking strings such as ARNs and
    digests), the dev defaults and URLs with a literal password. Never returns the value."""
    if not isinstance(value, str) or is_benign_value(value):
        return None
    if has_literal_password(value):
        return "URL with password"
    if any(p.search(value) for p in DEV_DEFAULT_PATTERNS):
        return "SomaStack Dev Default"
    for plugin in _detectors():
        if any(True for _ in plugin.analyze_string(value)):
            return plugin.secret_type
    return None


def secret_reason(name: str, value: object) -> str | None:
    """Why ``name=value`` in a container environment is a plaintext secret, or ``None``. A DSN
    variable is a secret only when it carries a literal password (seed 001 §2.1
    ``SA01_DB_DSN``); a secret-named variable with a non-benign value is one; any value shaped
    like a secret is one. The reason names the variable and the kind, never the value."""
    from ..catalog import lookup

    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if is_benign_value(text):
        return None
    var = lookup(name)
    if var is not None and var.type == "dsn":
        if has_literal_password(text):
            return f"{name} is a connection URL with a password in plain text"
    elif is_secret_name(name):
        return f"{name} is a secret variable set in plain text"
    shape = value_shape(text)
    if shape:
        return f"{name} holds a value shaped like a secret ({shape})"
    return None
