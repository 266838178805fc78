"""``somastack-deploy preflight``: lint a configuration against the SomaStack contract.

Usage::

    somastack-deploy preflight [ENV_FILE ...] [--env-file FILE ...] [--from-env] [--stack-config Pulumi.<stack>.yaml]
                               [--service agent|brain|memory ...] [--format text|json|sarif|junit]
                               [--scan PATH [--baseline FILE]] [--resolve-secrets] [--output FILE]
                               [--each]

Sources merge in one precedence (later wins): ENV_FILEs in order, then the stack config, then
the process environment (``--from-env``, contract names only). With ``--stack-config`` the
variables the Pulumi stack renders itself (catalog ``stack_provided``) may be unset:
:func:`somastack_deploy.config_contract.stack_provided.evaluate_stack_config`, the rule the programs use. ``--scan`` adds source-tree
findings (``somastack_deploy.config_contract.scan.run_scan``; errors in PROD or scan-only, warnings in DEV) and ``--resolve-secrets`` checks that every
``ref+vault://`` / ``ref+awssecrets://`` exists (``somastack_deploy.config_contract.secret_backends``).

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 unusable input (missing or
unreadable file, unparsable line, unknown option) with a one-line message naming file and line.
Cold start imports neither Pulumi nor boto3. Secret values never appear in any output.
"""

from __future__ import annotations

import argparse
import dataclasses

from .. import exitcodes
from .options import path_arg

FORMATS = ("text", "json", "sarif", "junit")
#: The optional extra this command needs (named in the one-line message when it is missing).
EXTRA = "secrets"


def add_parser(parser: argparse.ArgumentParser) -> None:
    """Register the preflight options on ``parser``."""
    parser.add_argument("env_files", nargs="*", metavar="ENV_FILE",
                        help="dotenv files, later wins (as Docker Compose does)")
    parser.add_argument("--from-env", action="store_true",
                        help="also read the process environment (contract names only; overrides files)")
    parser.add_argument("--stack-config", metavar="PULUMI_STACK_YAML",
                        help="a Pulumi stack config file (Pulumi.<stack>.yaml); somastack:UPPER_NAME keys; "
                             "variables the stack renders from its resources may be unset")
    parser.add_argument("--service", action="append", choices=("agent", "brain", "memory"),
                        help="evaluate only what this service reads (repeatable); default: the whole stack")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default text)")
    parser.add_argument("--env-file", action="append", default=[], dest="env_file_options", metavar="FILE",
                        help="a dotenv file (Docker Compose's spelling; repeatable); read after the ENV_FILEs, "
                             "in order, later wins")
    parser.add_argument("--output", metavar="FILE", type=path_arg, help="write the report to FILE instead of stdout")
    parser.add_argument("--scan", action="append", metavar="PATH",
                        help="also scan a source tree for VIBE-91/164 violations (repeatable)")
    parser.add_argument("--baseline", metavar="FILE", type=path_arg, help="accepted scan findings (ignore/baseline file)")
    parser.add_argument("--each", action="store_true",
                        help="evaluate every ENV_FILE on its own (text format; for pre-commit); exit code: the worst")
    parser.add_argument("--resolve-secrets", action="store_true",
                        help="check that every ref+vault:// and ref+awssecrets:// reference exists (values never printed)")


def _optional(module: str, name: str, flag: str):
    import importlib

    from somastack_deploy.config_contract.errors import InputError

    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise InputError(f"{flag} is not available in this installation ({module}.{name} missing)") from None


def run(args: argparse.Namespace) -> int:
    """Run preflight; returns the exit code (0/1); raises InputError for unusable input (2)."""
    from somastack_deploy.config_contract.errors import InputError
    from somastack_deploy.config_contract.findings import Finding

    if getattr(args, "env_file_options", None):  # --env-file FILE: after the positional files
        args = argparse.Namespace(**{**vars(args), "env_files": [*args.env_files, *args.env_file_options],
                                     "env_file_options": []})
    if not (args.env_files or args.from_env or args.stack_config or args.scan):
        raise InputError("nothing to check: give ENV_FILEs, --from-env, --stack-config or --scan")
    if args.each:
        return _run_each(args)
    has_config = bool(args.env_files or args.from_env or args.stack_config)
    env: dict[str, str] = {}
    if has_config:
        from somastack_deploy.config_contract.api import evaluate
        from somastack_deploy.config_contract.sources import load_sources

        env, prov = load_sources(list(args.env_files), from_env=args.from_env, pulumi_stack_file=args.stack_config)
        if args.stack_config:
            # The stack renders its endpoint variables itself: the one rule of
            # config_contract.stack_provided (the Pulumi programs' stack-config gate uses it too).
            from somastack_deploy.config_contract.stack_provided import evaluate_stack_config

            report = evaluate_stack_config(env, provenance=prov, services=args.service)
        else:
            report = evaluate(env, provenance=prov, services=args.service)
    else:
        from somastack_deploy.config_contract.report import Report

        prov = {}
        report = Report(dimensions=None)
    extra: list[Finding] = []
    if args.scan:
        run_scan = _optional("somastack_deploy.config_contract.scan", "run_scan", "--scan")
        environment = report.dimensions.environment if report.dimensions else "PROD"
        for path in args.scan:
            extra.extend(run_scan(path, baseline=args.baseline, environment=environment))
    if args.resolve_secrets:
        if not has_config:
            raise InputError("--resolve-secrets needs a configuration (ENV_FILE, --from-env or --stack-config)")
        check_references = _optional("somastack_deploy.config_contract.secret_backends", "check_references", "--resolve-secrets")
        for f in check_references(env):
            if f.path is None and f.variable in prov:
                origin = prov[f.variable]
                if origin.path != "<environment>":
                    f = dataclasses.replace(f, path=origin.path, line=origin.line)
            extra.append(f)
    if extra:
        report.extend(extra)
    text = render(report, args.format, checked=_checked(env if has_config else None, args))
    from somastack_deploy.reports import write_report

    write_report(text, args.output)
    return exitcodes.OK if report.passed else exitcodes.FINDINGS


def _checked(env: dict[str, str] | None, args: argparse.Namespace) -> str:
    """What this run checked, for the text summary: ``"63 variables, 17 rules"`` (the contract
    rules; the secret-reference rules only with ``--resolve-secrets``), ``"secret references"``,
    ``"scan of PATH"``."""
    from somastack_deploy.config_contract.rules import rule_meta

    parts: list[str] = []
    if env is not None:
        ids = [m["id"] for m in rule_meta() if not m["id"].startswith(("SECRET-REF-", "SCAN-"))]
        if args.resolve_secrets:
            ids += [m["id"] for m in rule_meta() if m["id"].startswith("SECRET-REF-")]
        parts.append(f"{len(env)} variable{'' if len(env) == 1 else 's'}, {len(ids)} rules")
    if args.scan:
        parts.append("scan of " + ", ".join(args.scan))
    return ", ".join(parts)


def _run_each(args: argparse.Namespace) -> int:
    """``--each``: one evaluation per ENV_FILE (other sources layered on each), text reports
    one after the other; returns the worst exit code."""
    from somastack_deploy.config_contract.errors import InputError

    if args.format != "text" or args.output or args.scan or args.resolve_secrets or not args.env_files:
        raise InputError("--each takes ENV_FILEs with the text format only (no --output, --scan, --resolve-secrets)")
    worst = exitcodes.OK
    for path in args.env_files:
        single = argparse.Namespace(**{**vars(args), "env_files": [path], "each": False})
        worst = max(worst, run(single))
    return worst


def finding_to_result(finding, *, rule_name: str = ""):
    """Convert a :class:`somastack_deploy.config_contract.findings.Finding` (contract rule or scan) to the shared
    :class:`somastack_deploy.reports.Result` for the text/SARIF/JUnit formatters: rule →
    ``rule_id``, severity → ``level``, service → ``group`` (``general`` when empty), variable →
    ``properties["variable"]``; ``status`` is always ``FAILED`` (a finding is a failure)."""
    from somastack_deploy.reports import Result

    props = {"variable": finding.variable} if finding.variable else {}
    return Result(rule_id=finding.rule, message=finding.message, status="FAILED", level=finding.severity,
                  group=finding.service or "general", name=rule_name, path=finding.path, line=finding.line,
                  properties=props)


def render(report, fmt: str, *, checked: str = "") -> str:
    """Render a :class:`somastack_deploy.config_contract.report.Report` in ``fmt`` with the shared
    formatters; ``checked`` names what was checked (text summary)."""
    from somastack_deploy.reports import RuleMeta, render as render_results

    if fmt == "json":
        return report.to_json()
    from somastack_deploy.config_contract.rules import rule_meta

    metas = rule_meta()
    names = {m["id"]: m["name"] for m in metas}
    rules = [RuleMeta(id=m["id"], name=m["name"], description=f"{m['description']} Source: {m['source']}.") for m in metas]
    results = [finding_to_result(f, rule_name=names.get(f.rule, "")) for f in report.findings]
    dims = report.dimensions
    verdict = "PASSED" if report.passed else "FAILED"
    title = f"somastack-deploy preflight: {verdict}"
    if dims is not None:
        title += (f" (software_mode={dims.software_mode}, environment={dims.environment}, "
                  f"saas_bridge={str(dims.saas_bridge).lower()}, target={dims.target}, "
                  f"runtime_mode={report.runtime_mode or '-'})")
    return render_results(fmt, results, tool="somastack-deploy-preflight", rules=rules, title=title, checked=checked)
