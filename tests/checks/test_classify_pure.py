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
