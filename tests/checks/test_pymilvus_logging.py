"""pymilvus installs stderr handlers at import and logs warnings with tracebacks while a
server restarts; once the checks code routes them (``quiet_pymilvus``), nothing reaches
stderr, and an application that configures logging gets one line without a traceback."""

from __future__ import annotations

import logging

from somastack_deploy.checks.probes import milvus


def _log_like_a_restart() -> None:
    try:
        raise ConnectionError("UNAVAILABLE: failed to connect to all addresses")
    except ConnectionError:
        logging.getLogger("pymilvus.client.connection_manager").warning("Connection recovery failed", exc_info=True)
        logging.getLogger("pymilvus.milvus_client.milvus_client").error("Failed to create collection", exc_info=True)
        logging.getLogger("pymilvus.decorators").error("RPC error: [list_collections], <MilvusException>")


def test_pymilvus_tracebacks_never_reach_stderr(capfd):
    from pymilvus import settings

    settings.init_log("WARNING")  # what `import pymilvus` does: its own stderr handlers
    _log_like_a_restart()
    assert "Traceback" in capfd.readouterr().err  # the problem, as pymilvus ships it
    milvus.quiet_pymilvus()
    _log_like_a_restart()
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
    milvus.quiet_pymilvus()  # idempotent: one route, no handler added twice
    assert sum(isinstance(h, milvus._OneLineRoute) for h in logging.getLogger("pymilvus").handlers) == 1


def test_routed_records_are_one_line_without_traceback(caplog):
    milvus.quiet_pymilvus()
    with caplog.at_level(logging.WARNING, logger="somastack_deploy.pymilvus"):
        _log_like_a_restart()
    records = [r for r in caplog.records if r.name == "somastack_deploy.pymilvus"]
    assert [r.getMessage() for r in records] == [
        "pymilvus: Connection recovery failed", "pymilvus: Failed to create collection",
        "pymilvus: RPC error: [list_collections], <MilvusException>"]
    assert all(r.exc_info is None and r.stack_info is None for r in records)
    assert "Traceback" not in caplog.text
