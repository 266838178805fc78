"""Is an environment variable a plaintext secret? By name and by value shape.

- Name: :func:`somastack_deploy.config_contract.catalog.is_secret_name` (the contract's catalog, plus the
  generic PASSWORD/TOKEN/SECRET/API_KEY/… words for names outside it).
- Value shape: detect-secrets 1.5.0's value detectors (AWS keys, private keys, JWTs, basic-auth
  URLs, GitHub/Slack/Stripe/OpenAI/… tokens; not the keyword and entropy detectors, which
  judge names and random-looking strings such as ARNs and digests), the contract's
  ``SomaStackDevDefaultDetector`` (seed 002 §3.2 dev defaults), and a connection URL carrying
  a password (``postgresql://user:PASS@host``, ``redis://:PASS@host``).
- Not a secret: empty values, references (``ref+vault://``, ``ref+awssecrets://``, ``${VAR}``,
  ``$VAR``, ``file:///``; :func:`somastack_deploy.config_contract.context.is_secret_reference`), ARNs, absolute
  paths (``*_FILE`` conventions) and URLs whose password is a reference.

Source: seed 000 §4 Rule 164 (zero-hardcode: secrets only from Vault/Secrets Manager), seed
001 §3.2 (Secrets Manager for secrets), AWS ECS developer guide "Pass sensitive data to a
container" (``secrets``/``valueFrom``, never ``environment``).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import unquote, urlsplit

from somastack_deploy.config_contract.catalog import is_secret_name, lookup
from somastack_deploy.config_contract.context import is_secret_reference, is_unbraced_reference


_SKIPPED_TYPES = frozenset({"Secret Keyword", "Base64 High Entropy String", "Hex High Entropy String",
                           "Public IP (ipv4)"})


@lru_cache(maxsize=1)
def _detectors() -> tuple:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    from somastack_deploy.config_contract.scan.plugins import SomaStackDevDefaultDetector

    plugins = [cls() for typ, cls in sorted(get_mapping_from_secret_type_to_class().items())
               if typ not in _SKIPPED_TYPES]
    plugins.append(SomaStackDevDefaultDetector())
    return tuple(plugins)


def is_placeholder(value: str) -> bool:
    """True for values that are not secrets themselves: empty, references, ARNs, paths."""
    v = value.strip()
    return (not v or is_secret_reference(v) or is_unbraced_reference(v) or v.startswith("arn:aws")
            or v.startswith("/"))


def _url_password(value: str) -> bool:
    if "://" not in value or "@" not in value:
        return False
    try:
        password = urlsplit(value.strip()).password
    except ValueError:
        return False
    if not password:
        return False
    password = unquote(password)
    return not (is_secret_reference(password) or is_unbraced_reference(password) or password.startswith("${"))


def value_shape(value: str) -> str | None:
    """The kind of secret ``value`` looks like (e.g. ``"AWS Access Key"``, ``"URL with
    password"``), or ``None``. Never returns the value."""
    if not isinstance(value, str) or is_placeholder(value):
        return None
    if _url_password(value):
        return "URL with password"
    for plugin in _detectors():
        if any(True for _ in plugin.analyze_string(value)):
            return plugin.secret_type
    return None


def secret_reason(name: str, value: object) -> str | None:
    """Why ``name=value`` in a container environment is a plaintext secret, or ``None``.

    The reason names the variable and the kind of finding, never the value.
    """
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if is_placeholder(text):
        return None
    var = lookup(name)
    if var is not None and var.type == "dsn":
        # a DSN is a secret only when it carries a password (seed 001 §2.1 SA01_DB_DSN)
        if _url_password(text):
            return f"{name} is a connection URL with a password in plain text"
    elif is_secret_name(name):
        return f"{name} is a secret variable set in plain text"
    shape = value_shape(text)
    if shape:
        return f"{name} holds a value shaped like a secret ({shape})"
    return None
