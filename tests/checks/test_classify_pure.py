"""``checks.probes.classify``: every category from the client libraries' own exception classes
(socket, gRPC, botocore, httpx, redis, hvac, psycopg), the order of the rules, one-line details,
and ``tcp_precheck`` against real loopback sockets."""

from __future__ import annotations

import socket

import grpc
import httpx
import pytest
from botocore.exceptions import ClientError
from grpc._channel import _InactiveRpcError, _RPCState

from somastack_deploy.checks.probes.base import (AUTH, ERROR, PROTOCOL, REFUSED, TIMED_OUT, UNHEALTHY, UNRESOLVED,
                                                 ProbeFailure)
from somastack_deploy.checks.probes.classify import _one_line, classify, tcp_precheck


def _grpc(code: grpc.StatusCode, details: str = "d"):
    return _InactiveRpcError(_RPCState((), None, None, code, details))


def _aws(code: str, status: int = 400, message: str = "m"):
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "GetSecretValue")


def _chained(inner: BaseException, outer: BaseException, cause: bool = True) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as exc:
            if cause:
                raise outer from exc
            raise outer
    except BaseException as exc:
        return exc


def test_probe_failure_wins_and_is_one_line():
    assert classify(ProbeFailure(UNHEALTHY, "sealed\n  and   down")) == (UNHEALTHY, "sealed and down")
    # even when it wraps a refused connection
    assert classify(_chained(ConnectionRefusedError(), ProbeFailure(PROTOCOL, "x")))[0] == PROTOCOL


def test_socket_errors():
    assert classify(ConnectionRefusedError(111, "Connection refused")) == (REFUSED, "[Errno 111] Connection refused")
    assert classify(socket.timeout("timed out")) == (TIMED_OUT, "timed out")
    assert classify(TimeoutError()) == (TIMED_OUT, "no answer")
    assert classify(socket.gaierror(-2, "Name or service not known")) == (
        UNRESOLVED, "[Errno -2] Name or service not known")


def test_the_cause_chain_is_followed():
    assert classify(_chained(ConnectionRefusedError(111, "refused"), RuntimeError("wrapped")))[0] == REFUSED
    assert classify(_chained(socket.timeout("t"), RuntimeError("wrapped"), cause=False))[0] == TIMED_OUT
    # a chain that loops is walked once
    a, b = RuntimeError("a"), RuntimeError("b")
    a.__cause__, b.__cause__ = b, a
    assert classify(a) == (ERROR, "RuntimeError: a RuntimeError: b")


@pytest.mark.parametrize("code,category,detail", [
    (grpc.StatusCode.UNAUTHENTICATED, AUTH, "gRPC UNAUTHENTICATED: bad key"),
    (grpc.StatusCode.PERMISSION_DENIED, AUTH, "gRPC PERMISSION_DENIED: bad key"),
    (grpc.StatusCode.DEADLINE_EXCEEDED, TIMED_OUT, "gRPC DEADLINE_EXCEEDED"),
    (grpc.StatusCode.INVALID_ARGUMENT, PROTOCOL, "gRPC INVALID_ARGUMENT: bad key"),
])
def test_grpc_status_codes(code, category, detail):
    assert classify(_grpc(code, "bad key")) == (category, detail)


def test_grpc_unavailable_is_refused_only_when_it_says_so():
    assert classify(_grpc(grpc.StatusCode.UNAVAILABLE, "Connection Refused")) == (
        REFUSED, "gRPC UNAVAILABLE: Connection Refused")
    assert classify(_grpc(grpc.StatusCode.UNAVAILABLE, "Failed to connect to remote host"))[0] == REFUSED
    assert classify(_grpc(grpc.StatusCode.UNAVAILABLE, "Socket closed")) == (ERROR, "gRPC UNAVAILABLE: Socket closed")


@pytest.mark.parametrize("code,status,category,detail", [
    ("AccessDeniedException", 400, AUTH, "AWS AccessDeniedException"),
    ("AccessDenied", 400, AUTH, "AWS AccessDenied"),
    ("UnrecognizedClientException", 400, AUTH, "AWS UnrecognizedClientException"),
    ("SomethingElse", 403, AUTH, "AWS SomethingElse"),
    ("SomethingElse", 401, AUTH, "AWS SomethingElse"),
    ("RequestTimeout", 400, TIMED_OUT, "AWS RequestTimeout: m"),
    ("ThrottlingException", 400, ERROR, "AWS ThrottlingException: m"),
])
def test_botocore_client_errors(code, status, category, detail):
    assert classify(_aws(code, status)) == (category, detail)


def test_http_status_and_client_timeouts():
    request = httpx.Request("GET", "http://127.0.0.1:1/")
    for status in (401, 403):
        err = httpx.HTTPStatusError("no", request=request, response=httpx.Response(status, request=request))
        assert classify(err) == (AUTH, f"HTTP {status}")
    err = httpx.HTTPStatusError("Server error '500'", request=request, response=httpx.Response(500, request=request))
    assert classify(err) == (ERROR, "HTTPStatusError: Server error '500'")
    for cls in (httpx.ConnectTimeout, httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout):
        assert classify(cls("slow")) == (TIMED_OUT, f"{cls.__name__}: slow")
    assert classify(httpx.ConnectError("[Errno 111] Connection refused")) == (
        REFUSED, "ConnectError: [Errno 111] Connection refused")


def test_auth_exceptions_by_class_name():
    import hvac.exceptions
    import redis.exceptions

    assert classify(redis.exceptions.AuthenticationError("invalid password"))[0] == AUTH
    assert classify(hvac.exceptions.Forbidden("nope")) == (AUTH, f"Forbidden: {hvac.exceptions.Forbidden('nope')}")
    assert classify(hvac.exceptions.Unauthorized("x"))[0] == AUTH


@pytest.mark.parametrize("text,category", [
    ('connection failed: FATAL:  password authentication failed for user "soma"', AUTH),
    ("WRONGPASS invalid username-password pair", AUTH),
    ('could not translate host name "db.internal" to address', UNRESOLVED),
    ("Temporary failure in name resolution", UNRESOLVED),
    ("query timed out after 5s", TIMED_OUT),
    ("context deadline exceeded", TIMED_OUT),
    ("server closed the connection unexpectedly", REFUSED),
    ("the database system is starting up", REFUSED),
    ("Broker transport failure", REFUSED),
    ("something else happened", ERROR),
])
def test_message_keywords(text, category):
    import psycopg

    assert classify(psycopg.OperationalError(text)) == (category, "OperationalError: " + " ".join(text.split()))


def test_keyword_order_auth_dns_timeout_refused():
    assert classify(RuntimeError("unauthenticated: deadline exceeded, connection refused"))[0] == AUTH
    assert classify(RuntimeError("name or service not known after timeout"))[0] == UNRESOLVED
    assert classify(RuntimeError("timeout: connection refused"))[0] == TIMED_OUT


def test_one_line_limit():
    assert _one_line("a\n b\tc") == "a b c"
    long = _one_line("x" * 300)
    assert len(long) == 200 and long.endswith("…")
    assert _one_line("y" * 200) == "y" * 200
    assert _one_line("z" * 50, limit=10) == "z" * 9 + "…"
    assert len(classify(RuntimeError("w" * 1000))[1]) == 200


def test_tcp_precheck_on_real_sockets(monkeypatch):
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        assert tcp_precheck("127.0.0.1", srv.getsockname()[1], 1.0) is None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    with pytest.raises(ProbeFailure) as err:
        tcp_precheck("127.0.0.1", closed, 1.0)
    assert (err.value.category, err.value.detail) == (REFUSED, f"connection to 127.0.0.1:{closed} refused")


@pytest.mark.parametrize("exc,category,detail", [
    (socket.gaierror(-2, "x"), UNRESOLVED, "cannot resolve db.internal"),
    (socket.timeout("t"), TIMED_OUT, "no TCP answer from db.internal:5432 within 1.5s"),
    (OSError(113, "No route to host"), REFUSED, "cannot connect to db.internal:5432: No route to host"),
])
def test_tcp_precheck_other_socket_errors(monkeypatch, exc, category, detail):
    """The branches no loopback socket produces (a DNS failure, a silent host, no route): the
    socket call is replaced for these, so no lookup or packet leaves the machine."""
    def fail(address, timeout):
        assert address == ("db.internal", 5432) and timeout == 1.5
        raise exc

    monkeypatch.setattr(socket, "create_connection", fail)
    with pytest.raises(ProbeFailure) as err:
        tcp_precheck("db.internal", 5432, 1.5)
    assert (err.value.category, err.value.detail) == (category, detail)


def _grpc_like(code_fn, details=None, module="grpc._cython.cygrpc"):
    attrs = {"__module__": module, "code": code_fn}
    if details is not None:
        attrs["details"] = details
    return type("RpcLike", (Exception,), attrs)("rpc failed")


def test_grpc_errors_without_a_readable_code_or_details():
    def broken(self):
        raise RuntimeError("no status")

    assert classify(_grpc_like(broken, details=lambda self: "d")) == (PROTOCOL, "gRPC : d")
    assert classify(_grpc_like(lambda self: grpc.StatusCode.INTERNAL)) == (PROTOCOL, "gRPC INTERNAL: ")
    assert classify(_grpc_like(lambda self: grpc.StatusCode.INTERNAL, details=lambda self: None)) == (
        PROTOCOL, "gRPC INTERNAL: ")


def test_a_code_method_outside_grpc_is_not_taken_for_a_status():
    err = _grpc_like(lambda self: 5, module="somewhere.else")
    assert classify(err) == (ERROR, "RpcLike: rpc failed")


def _boto_client(service: str):
    """A real botocore client (no request is sent): its ``exceptions`` are the modeled error
    classes botocore raises (``botocore.errorfactory``)."""
    import boto3

    return boto3.client(service, region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE",
                        aws_secret_access_key="not-a-secret")


def test_modeled_aws_errors_are_classified_by_their_code():
    """botocore raises a service's modeled errors as subclasses of ClientError named after the
    error (STS ExpiredTokenException, Secrets Manager ResourceNotFoundException)."""
    sts, sm = _boto_client("sts"), _boto_client("secretsmanager")
    expired = sts.exceptions.ExpiredTokenException(
        {"Error": {"Code": "ExpiredTokenException", "Message": "The security token included in the request is expired"},
         "ResponseMetadata": {"HTTPStatusCode": 400}}, "GetCallerIdentity")
    assert type(expired).__name__ == "ExpiredTokenException" and isinstance(expired, ClientError)
    assert classify(expired) == (AUTH, "AWS ExpiredTokenException")
    gone = sm.exceptions.ResourceNotFoundException(
        {"Error": {"Code": "ResourceNotFoundException", "Message": "Secrets Manager can't find the specified secret."},
         "ResponseMetadata": {"HTTPStatusCode": 400}}, "GetSecretValue")
    assert classify(gone) == (ERROR, "AWS ResourceNotFoundException: Secrets Manager can't find the specified secret.")


def test_a_response_dict_outside_botocore_is_not_an_aws_error():
    class ClientError(Exception):  # another library's ClientError, e.g. an HTTP client's
        response = {"Error": {"Code": "AccessDenied"}}

    assert classify(ClientError("upstream said no")) == (ERROR, "ClientError: upstream said no")

    class Rejected(Exception):
        response = {"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {"HTTPStatusCode": 403}}

    assert classify(Rejected("request rejected")) == (ERROR, "Rejected: request rejected")


@pytest.mark.parametrize("response,category,detail", [
    ({"Error": {"Code": "ServiceUnavailable"}}, ERROR, "AWS ServiceUnavailable:"),
    ({"Error": {"Message": "slow down"}, "ResponseMetadata": {"HTTPStatusCode": 503}}, ERROR, "AWS : slow down"),
    ({"ResponseMetadata": {"HTTPStatusCode": 403}}, AUTH, "AWS "),
    ({}, ERROR, "AWS :"),
])
def test_partial_aws_error_responses_never_crash(response, category, detail):
    """A ClientError raised by hand (user code, a plug-in) may carry only part of botocore's
    parsed response: still one category and one line, never a traceback."""
    assert classify(ClientError(response, "GetSecretValue")) == (category, detail)


def test_typed_matches_of_other_clients():
    import psycopg
    import redis.exceptions

    # Redis < 6 answering AUTH with a user name: no auth keyword in the text
    assert classify(redis.exceptions.AuthenticationWrongNumberOfArgsError(
        "wrong number of arguments for 'auth' command")) == (
        AUTH, "AuthenticationWrongNumberOfArgsError: wrong number of arguments for 'auth' command")
    # PostgreSQL SQLSTATE 42501 for a role that does not own the ledger table
    assert classify(psycopg.errors.InsufficientPrivilege("must be owner of table somastack_ledger")) == (
        AUTH, "InsufficientPrivilege: must be owner of table somastack_ledger")


@pytest.mark.parametrize("name", ["ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout",
                                  "TimeoutException"])
def test_httpx_timeouts_name_only_the_httpx_error(name):
    """httpx raises its timeout ``from`` httpcore's of the same name (``map_httpcore_exceptions``):
    the detail is the httpx error alone."""
    import httpcore

    err = _chained(getattr(httpcore, name)("timed out"), getattr(httpx, name)("timed out"))
    assert type(err.__cause__).__module__.startswith("httpcore")
    assert classify(err) == (TIMED_OUT, f"{name}: timed out")


def test_a_real_httpx_read_timeout_on_loopback():
    """A server that accepts and never answers: httpx's own ReadTimeout chain."""
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        port = srv.getsockname()[1]
        with pytest.raises(httpx.ReadTimeout) as err:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=httpx.Timeout(5.0, read=0.2))
    assert err.value.__cause__ is not None
    assert classify(err.value) == (TIMED_OUT, "ReadTimeout: timed out")


def test_a_keyword_past_the_first_200_characters_is_found():
    """psycopg lists every connection attempt; the reason may come after 200 characters."""
    import psycopg

    attempts = [("db-primary.internal", "connection failed: connection to server at \"10.0.0.7\", port 5432 failed: "
                                        "FATAL:  password authentication failed for user \"soma\""),
                ("db-replica.internal", "connection failed: connection to server at \"10.0.0.8\", port 5432 failed: "
                                        "server closed the connection unexpectedly")]
    text = "\n".join([attempts[-1][1], "Multiple connection attempts failed. All failures were:"]
                     + [f"- host: {h!r}, port: '5432', hostaddr: None: {m}" for h, m in attempts])
    low = " ".join(f"OperationalError: {text}".lower().split())  # what the keyword stage reads
    assert low.index("server closed") < 200 < low.index("password authentication failed") < 400 - 30
    category, detail = classify(psycopg.OperationalError(text))
    assert category == AUTH and len(detail) == 200 and detail.startswith("OperationalError: connection failed: ")
