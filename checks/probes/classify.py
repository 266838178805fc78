"""Turn any client exception into a reason category and a one-line detail.

Categories (:mod:`somastack_deploy.checks.probes.base`): refused, timed out, auth rejected, unresolvable host,
protocol error, error. The client libraries' own exception types are matched by name so that
this module imports none of them (psycopg ``OperationalError``, redis ``AuthenticationError``,
grpc ``RpcError`` with ``StatusCode.UNAUTHENTICATED``, hvac ``Forbidden``, httpx
``ConnectError``/``TimeoutException``, confluent-kafka ``KafkaException``, botocore ``ClientError`` and
its modeled subclasses).
"""

from __future__ import annotations

import socket

from .base import AUTH, ERROR, PROTOCOL, REFUSED, TIMED_OUT, UNRESOLVED, ProbeFailure

_AUTH_WORDS = ("password authentication failed", "authentication failed", "wrongpass", "noauth",
               "invalid username-password", "unauthenticated", "permission denied", "permission_denied",
               "invalid token", "permission_denied", "access denied", "401", "403", "sasl authentication",
               "invalid_client", "unauthorized", "forbidden")
_REFUSED_WORDS = ("connection refused", "econnrefused", "connect call failed", "errno 111",
                  "broker transport failure", "all broker connections are down", "connection reset",
                  "failed to connect to all addresses", "server closed the connection unexpectedly",
                  "the database system is shutting down", "the database system is starting up",
                  "connection to server", "no route to host")
_AWS_AUTH_CODES = ("UnauthorizedOperation", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
                   "UnrecognizedClientException", "SignatureDoesNotMatch", "AuthFailure", "MissingAuthenticationToken")
_TIMEOUT_WORDS = ("timed out", "timeout", "deadline exceeded", "deadline_exceeded")
_DNS_WORDS = ("name or service not known", "nodename nor servname", "temporary failure in name resolution",
              "could not translate host name", "dns resolution failed")


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _is_aws_client_error(e: BaseException) -> bool:
    """botocore's ``ClientError`` or one of its modeled subclasses, which carry the service's
    own error name as class name (STS ``ExpiredTokenException``, Secrets Manager
    ``ResourceNotFoundException``: ``botocore.errorfactory``), with the parsed ``response``."""
    return isinstance(getattr(e, "response", None), dict) and any(
        c.__name__ == "ClientError" and c.__module__ == "botocore.exceptions" for c in type(e).__mro__)


def classify(exc: BaseException) -> tuple[str, str]:
    """Return ``(category, detail)`` for ``exc``; ``detail`` is one line (≤ 200 chars).

    Order matters: an explicit :class:`ProbeFailure` wins; then typed matches (socket errors,
    gRPC status codes, HTTP status codes); then message keywords (auth before timeout before
    refused, since e.g. a gRPC UNAUTHENTICATED text can mention a deadline).
    """
    if isinstance(exc, ProbeFailure):
        return exc.category, _one_line(exc.detail)
    for e in _chain(exc):
        if isinstance(e, ConnectionRefusedError):
            return REFUSED, _one_line(e)
        if isinstance(e, (socket.timeout, TimeoutError)):
            return TIMED_OUT, _one_line(e) or "no answer"
        if isinstance(e, socket.gaierror):
            return UNRESOLVED, _one_line(e)
        code = getattr(e, "code", None)
        if callable(code) and type(e).__module__.startswith("grpc"):
            try:
                name = code().name
            except Exception:  # noqa: BLE001
                name = ""
            details = _one_line(getattr(e, "details", lambda: "")() or "")
            if name in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
                return AUTH, f"gRPC {name}: {details}"
            if name == "DEADLINE_EXCEEDED":
                return TIMED_OUT, f"gRPC {name}"
            if name == "UNAVAILABLE":
                return (REFUSED if "refused" in details.lower() or "failed to connect" in details.lower()
                        else ERROR), f"gRPC {name}: {details}"
            return PROTOCOL, f"gRPC {name}: {details}"
        if _is_aws_client_error(e):
            err = e.response.get("Error", {})
            code = str(err.get("Code", ""))
            http = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if http in (401, 403) or code in _AWS_AUTH_CODES or code.startswith("AccessDenied"):
                return AUTH, f"AWS {code}"
            return (TIMED_OUT if "Timeout" in code else ERROR), _one_line(f"AWS {code}: {err.get('Message', '')}")
        status = getattr(getattr(e, "response", None), "status_code", None)
        if status in (401, 403):
            return AUTH, f"HTTP {status}"
        name = type(e).__name__
        if name in ("AuthenticationError", "AuthenticationWrongNumberOfArgsError", "Unauthorized", "Forbidden",
                    "InvalidPassword", "InsufficientPrivilege"):
            return AUTH, _one_line(f"{name}: {e}")
        if name in ("ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout", "TimeoutException",
                    "ConnectionTimeout"):
            return TIMED_OUT, _one_line(f"{name}: {e}")
    text = " ".join(_one_line(f"{type(e).__name__}: {e}", 400) for e in _chain(exc))
    low = text.lower()
    if any(w in low for w in _AUTH_WORDS):
        return AUTH, _one_line(text)
    if any(w in low for w in _DNS_WORDS):
        return UNRESOLVED, _one_line(text)
    if any(w in low for w in _TIMEOUT_WORDS):
        return TIMED_OUT, _one_line(text)
    if any(w in low for w in _REFUSED_WORDS):
        return REFUSED, _one_line(text)
    return ERROR, _one_line(text)


def tcp_precheck(host: str, port: int, timeout_s: float) -> None:
    """Open and close a TCP connection; raise :class:`ProbeFailure` ``refused`` / ``timed
    out`` / ``unresolvable host`` when it fails. Used before clients (librdkafka, pymilvus)
    that retry silently until their own deadline instead of reporting a refused port."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except ConnectionRefusedError:
        raise ProbeFailure(REFUSED, f"connection to {host}:{port} refused") from None
    except socket.gaierror:
        raise ProbeFailure(UNRESOLVED, f"cannot resolve {host}") from None
    except (socket.timeout, TimeoutError):
        raise ProbeFailure(TIMED_OUT, f"no TCP answer from {host}:{port} within {timeout_s:.1f}s") from None
    except OSError as err:
        raise ProbeFailure(REFUSED, f"cannot connect to {host}:{port}: {err.strerror}") from None
