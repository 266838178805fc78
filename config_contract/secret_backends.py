"""``--resolve-secrets``: check that ``ref+vault://``, ``ref+awssecrets://`` and ``ref+awsssm://``
references exist.

Reference forms (the ``vals`` convention, issue 2):

- ``ref+vault://MOUNT/PATH#/KEY``: a KV version 2 secret read through hvac
  (``secrets.kv.v2.read_secret_version``; HashiCorp Vault API ``GET /v1/MOUNT/data/PATH``).
  ``MOUNT`` is the first path segment (``secret`` in ``ref+vault://secret/soma/db#/password``);
  a ``data/`` segment right after the mount (the raw API path) is accepted. ``KEY`` is a
  ``/``-separated path into the secret's data (``#/a/b`` → ``data["a"]["b"]``).
- ``ref+awssecrets://NAME[?region=R]#/KEY``: AWS Secrets Manager ``GetSecretValue``
  (boto3 ``secretsmanager`` client); ``KEY`` is looked up in the ``SecretString`` parsed as JSON;
  without ``#/KEY`` the whole ``SecretString`` (or a binary secret's ``SecretBinary`` decoded as
  UTF-8) is the value. ``?version_stage=AWSPREVIOUS`` (or
  any staging label) reads that version (``VersionStage``).
- ``ref+awsssm://PATH[?region=R][#/SUBPATH]``: AWS Systems Manager Parameter Store
  ``GetParameter`` with decryption (boto3 ``ssm`` client). As in ``vals``, the parameter name
  is ``/PATH`` (a leading ``/`` may be written: ``ref+awsssm:///PATH``) and ``#/SUBPATH`` names
  the parameter ``/PATH/SUBPATH`` below that prefix; ``?version=N`` or ``?label=L`` select a
  version (``NAME:N`` / ``NAME:L`` selectors). The value is the parameter's ``Value``.

Where the Vault server and token come from (first found wins): the ``vault_addr`` /
``vault_token`` options, then ``VAULT_ADDR`` / ``VAULT_TOKEN`` in the env set being checked,
then the process environment. ``VAULT_TOKEN`` is a secret: in an env set it may be a reference
(``${VAR}``, ``file:///…#key``) resolved through :func:`somastack_deploy.config_contract.references.resolve`; a
literal is used as is but never printed. AWS credentials and region come from boto3's usual
chain (``aws_region`` option or ``?region=`` override the region); the endpoint is boto3's, so
``AWS_ENDPOINT_URL`` (or ``AWS_ENDPOINT_URL_SECRETS_MANAGER`` / ``AWS_ENDPOINT_URL_SSM``) points
the check at another endpoint (the tests use LocalStack's on loopback).

Every network call has a timeout (``timeout_s``, default 5 s; no retries), so an unreachable
server produces a finding, never a hang. Secret values are read only to check the key exists;
they are never returned by :func:`check_references`, logged or put in a message.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import Any, Callable, Mapping

from .findings import Finding
from .grammar.references import BACKEND_SCHEMES, Reference, parse_reference, scheme_of
from .references import ReferenceError_

DEFAULT_TIMEOUT_S = 5.0

#: Rule ids of the findings (stable).
RULE_MISSING = "SECRET-REF-MISSING"
RULE_DENIED = "SECRET-REF-DENIED"
RULE_UNREACHABLE = "SECRET-REF-UNREACHABLE"
RULE_UNCONFIGURED = "SECRET-REF-UNCONFIGURED"
RULE_INVALID = "SECRET-REF-INVALID"

_SOURCE = "issue 2 --resolve-secrets; seed 000 §4 Rule 164 (secrets from Vault)"

#: Metadata of this module's rules, in the shape of ``somastack_deploy.config_contract.rules.rule_meta()`` (for
#: SARIF rule descriptors and docs).
RULE_META: tuple[dict, ...] = tuple(
    {"id": rule_id, "name": name, "severity": "error", "source": _SOURCE, "description": text}
    for rule_id, name, text in (
        (RULE_MISSING, "secret-reference-missing", "A ref+vault://, ref+awssecrets:// or ref+awsssm:// reference names a secret, parameter, version or key that does not exist."),
        (RULE_DENIED, "secret-reference-denied", "The secret backend refused to read a referenced secret (bad token or credentials, no read policy)."),
        (RULE_UNREACHABLE, "secret-reference-unreachable", "The secret backend could not be reached within the timeout, is sealed or answered an error."),
        (RULE_UNCONFIGURED, "secret-reference-unconfigured", "No Vault address/token or AWS credentials/region to check references with."),
        (RULE_INVALID, "secret-reference-invalid", "A secret reference is malformed (expected ref+vault://MOUNT/PATH#/KEY, ref+awssecrets://NAME#/KEY or ref+awsssm://PATH)."),
    ))


class BackendError(ReferenceError_):
    """A reference could not be resolved. ``rule`` is one of the ``RULE_*`` ids; ``str(err)``
    names the scheme, path and key, never a value."""

    def __init__(self, rule: str, message: str):
        self.rule = rule
        super().__init__(message)


#: The reference schemes this module resolves (``ref+<scheme>://``): the grammar's backend schemes.
SCHEMES = BACKEND_SCHEMES

#: The shape each scheme must have, for the ``SECRET-REF-INVALID`` message.
_SHAPES = {"vault": "ref+vault://MOUNT/PATH#/KEY", "awssecrets": "ref+awssecrets://NAME[#/KEY]",
           "awsssm": "ref+awsssm://PATH[#/SUBPATH]"}


def parse(ref: str) -> Reference:
    """The :class:`~somastack_deploy.config_contract.grammar.references.Reference` of a
    ``ref+vault://`` / ``ref+awssecrets://`` / ``ref+awsssm://`` reference, parsed by the one
    reference grammar (:func:`~somastack_deploy.config_contract.grammar.references.parse_reference`),
    with the path in the form the backends read: a Vault path without a trailing ``/`` (it must
    be ``MOUNT/PATH`` and name a ``#/KEY``), an SSM path without its leading and trailing ``/``.

    Raises :class:`BackendError` (``SECRET-REF-INVALID``) when ``ref`` is not a backend
    reference or is malformed; the message names the scheme and the expected shape, never the
    value."""
    scheme = scheme_of(ref)
    if scheme not in SCHEMES:
        raise BackendError(RULE_INVALID, "not a ref+vault://, ref+awssecrets:// or ref+awsssm:// reference")
    parsed = parse_reference(ref)
    if parsed is None:
        raise BackendError(RULE_INVALID, f"malformed ref+{scheme}:// reference (expected {_SHAPES[scheme]})")
    path = parsed.path.strip("/")
    if scheme == "vault" and (not parsed.key or "/" not in path):
        raise BackendError(RULE_INVALID, f"ref+vault://{path}: a Vault reference needs MOUNT/PATH and #/KEY")
    if scheme == "awsssm" and (not path or "//" in path):
        raise BackendError(RULE_INVALID, f"malformed ref+awsssm:// reference (expected {_SHAPES[scheme]})")
    return replace(parsed, path=path) if scheme != "awssecrets" else parsed


def _lookup(data: Any, ref: Reference) -> str:
    node = data
    for part in ref.key:
        if not isinstance(node, dict) or part not in node:
            raise BackendError(RULE_MISSING, f"{ref.describe()}: secret exists but has no key {'/'.join(ref.key)}")
        node = node[part]
    if isinstance(node, (dict, list)):
        return json.dumps(node)
    return str(node)


# -- Vault (hvac) ----------------------------------------------------------------------------

def _vault_settings(env: Mapping[str, str] | None, options: Mapping[str, Any]) -> tuple[str, str]:
    from . import references

    addr = options.get("vault_addr") or (env or {}).get("VAULT_ADDR") or os.environ.get("VAULT_ADDR")
    token = options.get("vault_token")
    if token is None and env and env.get("VAULT_TOKEN"):
        token = env["VAULT_TOKEN"]
        if scheme_of(token) in ("env", "file"):
            try:
                token = references.resolve(token)
            except (ReferenceError_, ValueError) as err:
                raise BackendError(RULE_UNCONFIGURED, f"VAULT_TOKEN reference cannot be resolved: {err}") from None
    if token is None:
        token = os.environ.get("VAULT_TOKEN")
    if not addr:
        raise BackendError(RULE_UNCONFIGURED, "no Vault server: set VAULT_ADDR (env set or process) or vault_addr")
    if not token:
        raise BackendError(RULE_UNCONFIGURED, "no Vault token: set VAULT_TOKEN (env set or process) or vault_token")
    return addr, token


def _memoized(cache: dict, key: tuple, fetch: Callable[[], Any]) -> Any:
    """One backend call per secret per run: ``fetch()``'s value, or the :class:`BackendError` it
    raised, is kept in ``cache`` under ``key`` and replayed for every later reference to it."""
    if key not in cache:
        try:
            cache[key] = fetch()
        except BackendError as err:
            cache[key] = err
    outcome = cache[key]
    if isinstance(outcome, BackendError):
        raise outcome
    return outcome


def _vault_path(ref: Reference) -> tuple[str, str]:
    """``(mount, path)`` of a KV v2 reference; a ``data/`` segment after the mount is dropped."""
    mount, _, path = ref.path.partition("/")
    return mount, path[len("data/"):] if path.startswith("data/") else path


def _vault_read(ref: Reference, addr: str, token: str, timeout_s: float, cache: dict) -> Any:
    mount, path = _vault_path(ref)
    return _memoized(cache, ("vault", addr, mount, path), lambda: _vault_fetch(ref, addr, token, timeout_s))


def _vault_fetch(ref: Reference, addr: str, token: str, timeout_s: float) -> Any:
    import hvac
    import requests
    from hvac import exceptions as hx

    mount, path = _vault_path(ref)
    where = f"ref+vault://{ref.path}"
    try:
        client = hvac.Client(url=addr, token=token, timeout=timeout_s)
        response = client.secrets.kv.v2.read_secret_version(path=path, mount_point=mount,
                                                            raise_on_deleted_version=True)
        data = response["data"]["data"]
    except hx.InvalidPath:
        err = BackendError(RULE_MISSING, f"{where}: no such secret (mount {mount!r}, path {path!r}) at {addr}")
    except (hx.Forbidden, hx.Unauthorized):
        err = BackendError(RULE_DENIED, f"{where}: permission denied at {addr} (token invalid or policy lacks read)")
    except hx.VaultDown:
        err = BackendError(RULE_UNREACHABLE, f"{where}: Vault at {addr} is sealed or down")
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout):
        err = BackendError(RULE_UNREACHABLE, f"{where}: Vault at {addr} unreachable (timeout {timeout_s:g} s)")
    except (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema, requests.exceptions.InvalidURL):
        err = BackendError(RULE_UNCONFIGURED, f"{where}: VAULT_ADDR {addr!r} is not an http(s) URL")
    except requests.exceptions.RequestException as exc:
        err = BackendError(RULE_UNREACHABLE, f"{where}: Vault at {addr} request failed ({type(exc).__name__})")
    except hx.VaultError as exc:
        err = BackendError(RULE_UNREACHABLE, f"{where}: Vault at {addr} answered an error ({type(exc).__name__})")
    except (KeyError, TypeError, ValueError):
        err = BackendError(RULE_MISSING, f"{where}: not a KV v2 secret at {addr}")
    else:
        return data
    raise err


# -- AWS Secrets Manager (boto3) -------------------------------------------------------------

def _boto_client(service: str, ref: Reference, options: Mapping[str, Any], timeout_s: float):
    """The boto3 client of ``service`` (``secretsmanager``, ``ssm``) for ``ref``: the caller's own
    (``options["<service>_client"]``) or a new one in the reference's or the options' region, one
    attempt, ``timeout_s`` (s) to connect and to read."""
    client = options.get(f"{service}_client")
    if client is not None:
        return client
    import boto3
    from botocore.config import Config

    region = ref.params.get("region") or options.get("aws_region")
    config = Config(connect_timeout=timeout_s, read_timeout=timeout_s, retries={"total_max_attempts": 1, "mode": "standard"})
    return boto3.session.Session().client(service, region_name=region, config=config)


def _aws_read(ref: Reference, options: Mapping[str, Any], timeout_s: float, cache: dict) -> Any:
    key = ("aws", ref.path, ref.params.get("region") or options.get("aws_region"))
    return _memoized(cache, key, lambda: _aws_fetch(ref, options, timeout_s))


def _aws_fetch(ref: Reference, options: Mapping[str, Any], timeout_s: float) -> Any:
    from botocore import exceptions as bx

    where = f"ref+awssecrets://{ref.path}"
    try:
        client = _boto_client("secretsmanager", ref, options, timeout_s)
        kwargs = {"SecretId": ref.path}
        if ref.params.get("version_stage"):
            kwargs["VersionStage"] = ref.params["version_stage"]
        response = client.get_secret_value(**kwargs)
    except bx.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            err = BackendError(RULE_MISSING, f"{where}: no such secret in Secrets Manager")
        elif code in ("AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
                      "ExpiredTokenException", "DecryptionFailure"):
            err = BackendError(RULE_DENIED, f"{where}: access denied by Secrets Manager ({code})")
        else:
            err = BackendError(RULE_UNREACHABLE, f"{where}: Secrets Manager error {code or 'unknown'}")
    except bx.BotoCoreError as exc:
        err = _transport_error(exc, where, "Secrets Manager", timeout_s)
    else:
        if "SecretString" in response:
            raw = response["SecretString"]
            try:
                data: Any = json.loads(raw)
            except ValueError:
                data = raw
        else:
            data = response.get("SecretBinary")
        return data
    raise err


def _transport_error(exc: Exception, where: str, service: str, timeout_s: float) -> BackendError:
    """The :class:`BackendError` for a botocore error raised before AWS answered (shared by
    Secrets Manager and Parameter Store): no credentials or region → ``RULE_UNCONFIGURED``; no
    connection or a timeout (``timeout_s``, seconds) → ``RULE_UNREACHABLE``; any other
    ``BotoCoreError`` → ``RULE_UNREACHABLE``. Names the exception type, never a value."""
    from botocore import exceptions as bx

    name = type(exc).__name__
    if isinstance(exc, (bx.NoCredentialsError, bx.NoRegionError, bx.PartialCredentialsError)):
        return BackendError(RULE_UNCONFIGURED, f"{where}: AWS not configured ({name})")
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        return BackendError(RULE_UNREACHABLE, f"{where}: {service} unreachable ({name}, timeout {timeout_s:g} s)")
    return BackendError(RULE_UNREACHABLE, f"{where}: {service} call failed ({name})")


# -- AWS Systems Manager Parameter Store (boto3) ---------------------------------------------

def ssm_name(ref: Reference) -> str:
    """The ``GetParameter`` ``Name`` of an ``awsssm`` reference: ``/PATH[/SUBPATH][:VERSION|:LABEL]``
    (vals: ``ref+awsssm://foo/bar`` reads ``/foo/bar``; ``#/baz`` reads ``/foo/bar/baz``)."""
    name = "/" + "/".join((ref.path, *ref.key))
    selector = ref.params.get("version") or ref.params.get("label")
    return f"{name}:{selector}" if selector else name


def _ssm_read(ref: Reference, options: Mapping[str, Any], timeout_s: float, cache: dict) -> str:
    key = ("ssm", ssm_name(ref), ref.params.get("region") or options.get("aws_region"))
    return _memoized(cache, key, lambda: _ssm_fetch(ref, options, timeout_s))


def _ssm_fetch(ref: Reference, options: Mapping[str, Any], timeout_s: float) -> str:
    from botocore import exceptions as bx

    name = ssm_name(ref)
    where = f"ref+awsssm://{ref.path}" + ("#/" + "/".join(ref.key) if ref.key else "")
    try:
        response = _boto_client("ssm", ref, options, timeout_s).get_parameter(Name=name, WithDecryption=True)
    except bx.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("ParameterNotFound", "ParameterVersionNotFound", "ParameterVersionLabelNotFound"):
            err = BackendError(RULE_MISSING, f"{where}: no such parameter {name} in Parameter Store ({code})")
        elif code in ("AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
                      "ExpiredTokenException", "InvalidKeyId"):
            err = BackendError(RULE_DENIED, f"{where}: access denied by Parameter Store ({code})")
        elif code == "ValidationException":
            err = BackendError(RULE_INVALID, f"{where}: Parameter Store refused the name {name} ({code})")
        else:
            err = BackendError(RULE_UNREACHABLE, f"{where}: Parameter Store error {code or 'unknown'}")
    except bx.BotoCoreError as exc:
        err = _transport_error(exc, where, "Parameter Store", timeout_s)
    else:
        return str(response["Parameter"]["Value"])
    raise err


def _read(ref: Reference, env: Mapping[str, str] | None, options: Mapping[str, Any], cache: dict) -> str:
    timeout_s = float(options.get("timeout_s", DEFAULT_TIMEOUT_S))
    if ref.scheme == "awsssm":
        return _ssm_read(ref, options, timeout_s, cache)
    if ref.scheme == "vault":
        addr, token = _vault_settings(env, options)
        data = _vault_read(ref, addr, token, timeout_s, cache)
    else:
        data = _aws_read(ref, options, timeout_s, cache)
        if not ref.key:
            if isinstance(data, (dict, list)):
                return json.dumps(data)
            if isinstance(data, bytes):  # SecretBinary: the bytes as text (vals does the same)
                return data.decode("utf-8", errors="replace")
            return data if isinstance(data, str) else "" if data is None else str(data)
        if not isinstance(data, dict):
            raise BackendError(RULE_MISSING, f"{ref.describe()}: SecretString is not a JSON object, no key "
                                             f"{'/'.join(ref.key)}")
    return _lookup(data, ref)


def resolve(ref: str, **options: Any) -> str:
    """Return the value behind a ``ref+vault://`` / ``ref+awssecrets://`` / ``ref+awsssm://`` reference.

    Options: ``vault_addr``, ``vault_token``, ``env`` (the env set, for ``VAULT_ADDR`` /
    ``VAULT_TOKEN``), ``aws_region``, ``secretsmanager_client`` / ``ssm_client`` (boto3 clients to use),
    ``timeout_s`` (seconds, default 5). Raises :class:`BackendError` (a
    :class:`~config_contract.references.ReferenceError_`) with a value-free message.
    """
    env = options.pop("env", None)
    return _read(parse(ref), env, options, {})


def check_references(env: Mapping[str, str], **options: Any) -> list[Finding]:
    """Check every ``ref+vault://``, ``ref+awssecrets://`` and ``ref+awsssm://`` value of ``env`` (name → value).

    Returns one error :class:`Finding` per reference that does not resolve (rules
    ``SECRET-REF-MISSING`` path or key absent, ``SECRET-REF-DENIED`` permission denied,
    ``SECRET-REF-UNREACHABLE`` server down/timeout, ``SECRET-REF-UNCONFIGURED`` no server or
    credentials, ``SECRET-REF-INVALID`` malformed); an empty list when all resolve. ``path`` and
    ``line`` are ``None`` (the caller fills them from its provenance). Options as for
    :func:`resolve`. Each secret path is read once; values are discarded.
    """
    from . import catalog

    cache: dict = {}
    findings: list[Finding] = []
    for name in sorted(env):
        value = (env[name] or "").strip()
        if scheme_of(value) not in SCHEMES:
            continue
        try:
            _read(parse(value), env, options, cache)
        except BackendError as err:
            findings.append(Finding(rule=err.rule, severity="error", variable=name,
                                    service=catalog.service_of(catalog.lookup(name)), path=None, line=None,
                                    message=f"{name}: {err} ({_SOURCE})"))
    return findings
