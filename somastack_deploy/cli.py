"""``somastack-deploy``: the command-line entry point.

Subcommands (each a module in :mod:`somastack_deploy.commands` with ``add_parser(sub)`` and
``run(args) -> int``): ``preflight``, ``schema``, ``plan``, ``probe``, ``resilience``,
``drift``, and the engine operations ``up``, ``preview``, ``refresh``, ``destroy``
(:mod:`somastack_deploy.commands.stack_ops`). Modules are imported only when their subcommand runs, so a cold start of
``preflight`` never imports Pulumi or boto3.

Exit codes (see :mod:`somastack_deploy.exitcodes`): 0 ok, 1 findings, 2 unusable input
(also: a missing optional extra, named in one line with its ``pip install`` command, and an
unexpected internal error, one line; ``SOMASTACK_DEBUG=1`` re-raises it for a traceback).
Data goes to stdout, messages to stderr; never a traceback (library loggers included:
:mod:`somastack_deploy.console`). ``--version`` prints ``somastack-deploy VERSION``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from . import exitcodes
from .version import version

COMMANDS = {
    "preflight": "Lint a configuration against the SomaStack contract (VIBE 91/164, mode rules).",
    "schema": "Print the contract (or the topology document) as JSON Schema draft 2020-12.",
    "plan": "Run a stack's Pulumi program offline under mocks and check policies.",
    "probe": "Probe every service of a deployed stack at protocol level.",
    "resilience": "Take the stack down and up N times and verify health and a data ledger.",
    "drift": "Compare live services and config against what the repo declares.",
    "up": "Create or update a stack's resources with the Pulumi engine (Automation API).",
    "preview": "Show what `up` would change for a stack, without changing anything.",
    "refresh": "Read a stack's resources from the cloud/cluster into its state.",
    "destroy": "Delete every resource of a stack (needs --yes).",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(exitcodes.USAGE)


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    """Build the parser; only the chosen subcommand's module is imported."""
    parser = _Parser(prog="somastack-deploy",
                     description="Deployment validation for SomaStack: config contract lint, offline Pulumi plan, "
                                 "post-deploy probes, resiliency cycles and drift reports.",
                     epilog="exit codes: 0 ok, 1 findings (errors, unhealthy, drift, failed cycle), 2 unusable input "
                            "or a missing extra")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, help_text in COMMANDS.items():
        if name == chosen:
            module = importlib.import_module(f"somastack_deploy.commands.{name}")
            p = sub.add_parser(name, help=help_text, description=help_text)
            module.add_parser(p)
            p.set_defaults(_run=module.run, _extra=getattr(module, "EXTRA", None))
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (also used as the console script).

    Called without ``argv`` (the console script), it first routes library logging to one line
    each (:func:`somastack_deploy.console.configure`, process-wide); called with ``argv`` (from
    Python, e.g. a test), it leaves the caller's logging configuration alone."""
    if argv is None:  # the console script / ``python -m``: this process is the CLI's own
        from .console import configure

        configure("somastack-deploy")
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return exitcodes.USAGE
    from somastack_deploy.config_contract.errors import InputError

    try:
        return int(args._run(args))
    except InputError as err:
        sys.stderr.write(f"somastack-deploy: error: {err.one_line()}\n")
        return exitcodes.USAGE
    except ImportError as err:
        return _import_failed(err, args)
    except KeyboardInterrupt:
        sys.stderr.write("somastack-deploy: interrupted\n")
        return 130
    except BrokenPipeError:
        return exitcodes.OK
    except Exception as err:  # noqa: BLE001 - a bug: still one line, never a traceback
        if os.environ.get("SOMASTACK_DEBUG"):
            raise
        first = (str(err).strip().splitlines() or [""])[0][:300]
        sys.stderr.write(f"somastack-deploy: error: {args.command}: internal error: {type(err).__name__}: {first} "
                         "(SOMASTACK_DEBUG=1 shows the traceback)\n")
        return exitcodes.USAGE


def _import_failed(err: ImportError, args: argparse.Namespace) -> int:
    """One line for an import that failed while a command ran: the missing extra and its
    ``pip install`` command when an extra provides the module, else the import error; exit 2."""
    from .extras import message

    line = message(err, what=args.command, prefer=getattr(args, "_extra", None))
    if line is None:
        if os.environ.get("SOMASTACK_DEBUG"):
            raise err
        line = f"{args.command}: cannot import: {(str(err).strip().splitlines() or [''])[0][:300]}"
    sys.stderr.write(f"somastack-deploy: error: {line}\n")
    return exitcodes.USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
