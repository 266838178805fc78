"""What the user's terminal gets from libraries: one place for both console entry points.

:func:`configure` is called first by ``somastack-deploy`` and ``somastack-services``:

- every log record, from any library logger (pymilvus, grpc, urllib3, botocore, kubernetes …)
  and whatever handler that library attached itself (pymilvus configures its own at import),
  loses its traceback and stack (``exc_info``/``stack_info``) and keeps only its message's first
  line: a log record never prints a traceback;
- records that reach the root logger are printed at WARNING and above as one line on stderr,
  ``PROG: LOGGER: LEVEL: message`` (below WARNING only with ``SOMASTACK_LOG=debug|info``);
- Python warnings go through logging (``py.warnings``), so they are one line too;
- the gRPC C core logs only errors (``GRPC_VERBOSITY`` unless the user set it).

Idempotent; the handler writes to the current ``sys.stderr`` (works under redirection). The
entry points call it only when they run as the process's command (``main()`` without
``argv``), never when called from Python with an argument list.
"""

from __future__ import annotations

import logging
import os
import sys

_MARK = "_somastack_one_line"


class _StderrLine(logging.Handler):
    """One line per record on the current ``sys.stderr``."""

    def __init__(self, prog: str):
        super().__init__()
        self.prog = prog

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage().strip().splitlines() or [""]
            sys.stderr.write(f"{self.prog}: {record.name}: {record.levelname.lower()}: {text[0][:300]}\n")
        except Exception:  # noqa: BLE001 - logging must never raise into the command
            pass


def _one_line_factory(previous):
    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        if record.exc_info or record.stack_info or "\n" in str(record.msg):
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a library's bad format args
                message = str(record.msg)
            lines = [ln for ln in message.strip().splitlines() if ln.strip()]
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                detail = (str(exc).strip().splitlines() or [""])[0]
                lines = (lines or [""])[:1]
                lines[0] = f"{lines[0]} ({type(exc).__name__}: {detail[:200]})".strip()
            record.msg, record.args = (lines[0] if lines else ""), ()
            record.exc_info = record.exc_text = record.stack_info = None
        return record

    setattr(factory, _MARK, True)
    return factory


def configure(prog: str) -> None:
    """Route library logging and warnings to one line each on stderr (see module doc)."""
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    current = logging.getLogRecordFactory()
    if not getattr(current, _MARK, False):
        logging.setLogRecordFactory(_one_line_factory(current))
    root = logging.getLogger()
    if not any(getattr(h, _MARK, False) for h in root.handlers):
        handler = _StderrLine(prog)
        setattr(handler, _MARK, True)
        level = {"debug": logging.DEBUG, "info": logging.INFO}.get(os.environ.get("SOMASTACK_LOG", "").lower(),
                                                                   logging.WARNING)
        handler.setLevel(level)
        root.addHandler(handler)
        if root.level > level or root.level == logging.NOTSET:
            root.setLevel(level)
    logging.captureWarnings(True)
