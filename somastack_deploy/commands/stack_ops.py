"""``somastack-deploy up|preview|refresh|destroy --stack NAME [--cwd DIR]``: the Pulumi engine
operations on a stack of this project, through the Automation API.

The program (:func:`somastack_deploy.stacks.program.main`) runs inline in this process (the CLI
connects back to it), with the project's ``Pulumi.yaml`` and the stack's ``Pulumi.<NAME>.yaml``
from the project directory (``--cwd DIR`` or the current directory, searched upwards like the
Pulumi CLI). The Pulumi CLI is the one in the harness cache or on ``PATH``
(:func:`somastack_deploy.checks.drift.engine_cli.find_cli_root`); plugins found on ``PATH`` or
beside it (e.g. the pulumi-kubernetes provider the harness builds) are used as they are.

Backend: ``--backend URL``, else ``PULUMI_BACKEND_URL``, else the local file backend in the home
directory (``file://~``, what ``pulumi login --local`` uses); a file backend encrypts secrets
with ``PULUMI_CONFIG_PASSPHRASE`` (or ``PULUMI_CONFIG_PASSPHRASE_FILE``), which must be set.

Progress (the engine's own lines) goes to stderr; one summary line (or ``--format json``) to
stdout; secret values are never shown (``show_secrets`` off; Pulumi masks them as ``[secret]``).
``destroy`` needs ``--yes``.

A failed run ends with one line ``somastack-deploy: OP STACK failed: <resource>: <its error>``
taken from the engine's diagnostic events (:func:`diagnostic_error`), else from the CLI's output
(:func:`error_line`). With ``--expect-no-changes`` the summary (with the changes) is printed as
usual before the exit code says changes were found.

Exit codes: 0 done (no changes, with ``--expect-no-changes``); 1 the engine failed (a resource
error, the program failed, e.g. the config contract) or changes were found with
``--expect-no-changes``; 2 unusable input (no project, no stack file, no Pulumi CLI, no
passphrase, no such stack for refresh/destroy).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from pathlib import Path

from somastack_deploy import exitcodes
from somastack_deploy.config_contract.errors import InputError
from somastack_deploy.project import add_cwd_option, find_project_dir

OPERATIONS = ("up", "preview", "refresh", "destroy")
_GENERIC = ("update failed", "preview failed", "refresh failed", "destroy failed", "an error occurred")
#: A provider's wrapper line around its list of errors (``Preview failed: 1 error occurred:``).
_WRAPPER = re.compile(r"^[A-Za-z ]+ failed: \d+ errors? occurred:$")
MAX_LINE = 300


def add_parser(parser, operation: str) -> None:
    """Options of ``operation`` (one of :data:`OPERATIONS`)."""
    parser.add_argument("--stack", required=True, metavar="NAME", help="stack name (Pulumi.NAME.yaml)")
    add_cwd_option(parser)
    parser.add_argument("--backend", metavar="URL",
                        help="Pulumi backend URL (default: $PULUMI_BACKEND_URL, else file://~)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="summary format on stdout")
    if operation in ("up", "preview", "refresh"):
        parser.add_argument("--expect-no-changes", action="store_true",
                            help="exit 1 when the operation finds changes")
    if operation in ("up", "preview"):
        parser.add_argument("--refresh", action="store_true", help="refresh the state from the cloud first")
    if operation == "destroy":
        parser.add_argument("--yes", action="store_true", help="confirm deleting every resource of the stack")


def error_line(exc: Exception) -> str:
    """One line from a failed engine run: the first specific ``error:`` of the run's
    diagnostics (a resource's or the program's; a message ending in ``:`` is continued with its
    following lines, e.g. the contract's findings), else the CLI's last line. ≤ 300 characters."""
    text = str(exc)
    lines = [ln.strip() for ln in text.splitlines()]
    if "Diagnostics:" in lines:
        lines = lines[lines.index("Diagnostics:") + 1:]
    for i, line in enumerate(lines):
        line = line.removeprefix("stderr:").strip()
        if not line.lower().startswith("error:"):
            continue
        msg = line[6:].strip()
        if not msg or msg.lower().startswith(_GENERIC):
            continue
        if msg.endswith(":"):
            more = []
            for nxt in lines[i + 1:]:
                if not nxt or nxt.lower().startswith("error:") or nxt.endswith("):") or nxt.startswith("Resources:"):
                    break
                more.append(nxt)
            msg = " ".join([msg, *more])
        return msg[:300]
    from somastack_deploy.checks.drift.engine import _last_line

    return _last_line(exc)


def _one_line(message: str) -> str:
    """``message`` (a diagnostic, possibly multi-line) as one line of at most :data:`MAX_LINE`
    characters: a provider's ``… failed: N error(s) occurred:`` wrapper and list bullets dropped,
    whitespace collapsed; a longer line keeps its head and its tail (where the specific cause
    usually is) around ``…``."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    lines = [ln.removeprefix("* ").strip() for ln in lines if not _WRAPPER.match(ln)]
    text = " ".join(" ".join(lines).split())
    if len(text) <= MAX_LINE:
        return text
    head = MAX_LINE * 2 // 5
    return f"{text[:head].rstrip()} … {text[-(MAX_LINE - head - 3):].lstrip()}"


def diagnostic_error(diagnostics) -> str | None:
    """The first specific error among the engine's diagnostic events (``DiagnosticEvent``s of
    severity ``error``; the engine's own ``update failed``-style summaries skipped), as
    ``"<resource name>: <message>"`` (or the message alone for the stack/program), one line
    (:func:`_one_line`). ``None`` when there is none."""
    for d in diagnostics:
        if getattr(d, "severity", "") != "error":
            continue
        msg = (d.message or "").strip()
        if not msg or msg.lower().rstrip(".") in _GENERIC:
            continue
        urn = d.urn or ""
        name = urn.rsplit("::", 1)[-1] if urn and "pulumi:pulumi:Stack" not in urn else ""
        line = _one_line(msg)
        return f"{name}: {line}" if name else line
    return None


class _EngineHangup(logging.Filter):
    """Drops the inline program's gRPC server errors logged when the engine has already ended
    the run (its own diagnostics say why): ``Exception calling application`` records."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith("Exception calling application")


def _changes(summary: dict | None) -> dict[str, int]:
    return {op: int(n) for op, n in sorted((summary or {}).items()) if op != "same" and int(n)}


def run(args, operation: str) -> int:
    """Run ``operation`` (see the module docstring); returns the exit code."""
    from pulumi import automation as auto

    from somastack_deploy.checks.drift.engine import EngineDriftError, open_stack
    from somastack_deploy.checks.drift.engine_cli import PulumiCliNotFound

    root = find_project_dir(args.cwd)
    stack_file = root / f"Pulumi.{args.stack}.yaml"
    if not stack_file.is_file():
        raise InputError("no such stack file", path=str(stack_file), variable="--stack")
    if operation == "destroy" and not args.yes:
        raise InputError(f"destroy deletes every resource of stack {args.stack}: add --yes", variable="--yes")
    backend = args.backend or os.environ.get("PULUMI_BACKEND_URL") or Path.home().as_uri()
    from somastack_deploy.stacks.program import main as program

    try:
        stack = open_stack(program, args.stack, backend, create=operation in ("up", "preview"), work_dir=root)
    except (PulumiCliNotFound, EngineDriftError) as exc:
        raise InputError(str(exc)) from None

    def progress(line: str) -> None:
        sys.stderr.write(line.rstrip("\n") + "\n")
        sys.stderr.flush()

    diagnostics: list = []

    def on_event(event) -> None:
        diag = getattr(event, "diagnostic_event", None)
        if diag is not None and diag.severity == "error":
            diagnostics.append(diag)

    common = {"on_output": progress, "on_event": on_event, "color": "never"}
    expect = bool(getattr(args, "expect_no_changes", False))
    hangup = _EngineHangup()
    grpc_log = logging.getLogger("grpc._server")
    grpc_log.addFilter(hangup)
    try:
        if operation == "up":
            result = stack.up(show_secrets=False, refresh=args.refresh or None, **common)
            changes = _changes(result.summary.resource_changes)
        elif operation == "preview":
            result = stack.preview(refresh=args.refresh or None, diff=True, **common)
            changes = _changes(result.change_summary)
        elif operation == "refresh":
            result = stack.refresh(show_secrets=False, **common)
            changes = _changes(result.summary.resource_changes)
        else:
            result = stack.destroy(show_secrets=False, **common)
            changes = _changes(result.summary.resource_changes)
    except auto.errors.CommandError as exc:
        reason = diagnostic_error(diagnostics) or error_line(exc)
        sys.stderr.write(f"somastack-deploy: {operation} {args.stack} failed: {reason}\n")
        return exitcodes.FINDINGS
    finally:
        grpc_log.removeFilter(hangup)
    doc = {"operation": operation, "stack": args.stack, "result": "succeeded", "changes": changes}
    if args.format == "json":
        sys.stdout.write(json.dumps(doc, sort_keys=True) + "\n")
    else:
        what = ", ".join(f"{op} {n}" for op, n in changes.items()) or "no changes"
        sys.stdout.write(f"{operation} {args.stack}: succeeded ({what})\n")
    return exitcodes.FINDINGS if expect and changes else exitcodes.OK
