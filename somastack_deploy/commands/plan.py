"""``somastack-deploy plan``: run a stack's Pulumi program offline and check the policies.

``somastack-deploy plan --stack NAME [--cwd DIR] [--format text|json|sarif] [--stack-file PATH]``

Loads ``Pulumi.<NAME>.yaml`` from the Pulumi project (the directory holding ``Pulumi.yaml``:
the current directory or ``--cwd DIR``, or a parent of it, as the Pulumi CLI finds it:
:func:`somastack_deploy.project.find_project_dir`; one line, exit 2, when there is none) or
``--stack-file``, runs ``somastack_deploy.stacks.program.main`` under Pulumi's mock runtime
(:func:`somastack_deploy.plan.runner.run_stack`; no cloud credentials, no Pulumi CLI), prints the
resource graph and runs the policies (:mod:`policies`) over it. Needs the ``pulumi`` extra.

Exit codes: 0 no mandatory violation; 1 a mandatory violation, or the program aborted on a
contract violation (its message on stderr, no traceback); 2 unusable input (missing stack
file, bad YAML: one line naming file and line; no Pulumi project; the ``pulumi`` extra not
installed; a program that fails for another reason).
"""

from __future__ import annotations

import argparse
import os
import sys

from somastack_deploy import exitcodes
from somastack_deploy.project import add_cwd_option, find_project_dir

FORMATS = ("text", "json", "sarif")
#: The optional extra this command needs (named in the one-line message when it is missing).
EXTRA = "pulumi"


def add_parser(parser: argparse.ArgumentParser) -> None:
    """Options of ``plan`` (see module doc)."""
    parser.add_argument("--stack", required=True, metavar="NAME", help="stack name, e.g. fargate-prod (reads Pulumi.NAME.yaml)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--stack-file", metavar="PATH", help="stack config file (default: Pulumi.NAME.yaml in the project)")
    add_cwd_option(parser)


def run(args: argparse.Namespace) -> int:
    """Run the plan; see the module doc for output and exit codes."""
    from somastack_deploy.config_contract.errors import InputError
    from somastack_deploy.extras import require

    require(EXTRA)  # the one-line "needs the pulumi extra" before any work
    from somastack_deploy.plan.stackfile import load_stack_file, project_name, with_project_defaults

    root = str(find_project_dir(args.cwd))  # as the Pulumi CLI: --cwd or the current directory (or a parent)
    path = args.stack_file or os.path.join(root, f"Pulumi.{args.stack}.yaml")
    if os.path.isabs(path) and os.path.abspath(path).startswith(os.getcwd() + os.sep):
        path = os.path.relpath(path)
    config = with_project_defaults(load_stack_file(path), root)  # InputError → exit 2 (cli)
    project = project_name(root)

    try:
        from somastack_deploy.stacks.program import main as program
    except ImportError as err:
        from somastack_deploy.extras import missing_extra

        if missing_extra(getattr(err, "name", None), EXTRA):
            raise  # the cli names the extra to install (one line, exit 2)
        raise InputError(f"the stack program cannot be imported ({err})") from None

    from somastack_deploy.plan import report
    from somastack_deploy.plan.runner import run_stack

    try:
        plan = run_stack(args.stack, config, program, project=project)
    except InputError:
        raise  # a stack setting the program refused: the cli prints its one line, exit 2
    except Exception as err:  # noqa: BLE001 - reported as one line, never a traceback
        violation = _contract_violation(err)
        if violation is not None:
            sys.stderr.write(f"somastack-deploy plan: {args.stack}: contract violation, no resource planned:\n{violation}\n")
            return exitcodes.FINDINGS
        message = str(err).replace("\n", " ")
        sys.stderr.write(f"somastack-deploy: error: {path}: the stack program failed: {type(err).__name__}: {message}\n")
        return exitcodes.USAGE

    built = report.build(plan, config=config, stack=args.stack)
    sys.stdout.write(report.render(built, args.format, path=path))
    return exitcodes.OK if built.passed else exitcodes.FINDINGS


def _contract_violation(err: BaseException) -> str | None:
    """The contract's message when ``err`` is (or wraps) a contract violation, else ``None``."""
    seen = 0
    while err is not None and seen < 5:
        name = type(err).__name__
        if name == "ContractViolation":
            return str(err)
        if name == "ContractAbort":
            return str(err)
        err = getattr(err, "violation", None) or err.__cause__
        seen += 1
    return None
