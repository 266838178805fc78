"""``somastack-deploy probe``: probe every service of a deployed stack at protocol level.

Usage: ``somastack-deploy probe (--stack NAME | --topology FILE | --harness-state DIR)
[--format text|json|junit] [--wait SECONDS] [--timeout SECONDS] [--services a,b]
[--present-only]``.

Exit codes: 0 every probe PASSED, 1 any probe FAILED/UNKNOWN, 2 unusable input.
JSON (version 1): see :mod:`somastack_deploy.checks.runner`. What the probes write is
:data:`WRITES` (shown by ``probe --help``).
"""

from __future__ import annotations

import argparse

from somastack_deploy.config_contract.errors import InputError
from somastack_deploy import exitcodes
from somastack_deploy.reports import write_report

FORMATS = ("text", "json", "junit")
#: What the probes write into the services (``probe --help``; ``resilience --help`` refers
#: to it). Sources: checks/probes/kafka.py and checks/probes/milvus.py.
WRITES = """\
What the probes write (every other probe only reads):
  kafka   one canary message to topic somastack.probe (the topology's storage.probe_topic),
          read back at its offset; the topic is created (1 partition) when missing, and the
          message stays until the topic's retention removes it.
  milvus  a collection somastack_probe_<8 hex>: one vector is inserted and searched, then
          the collection is dropped.
Read-only: PostgreSQL SELECT 1, Redis PING/INFO, Keycloak discovery and a client-credentials
token, SpiceDB ReadSchema and one CheckPermission, OPA one decision query, Vault sys/health."""
EPILOG = WRITES + """

exit codes: 0 every probe passed, 1 a probe failed, 2 unusable input"""


def add_source_args(parser, *, harness: bool = True) -> None:
    """``--stack`` / ``--topology`` / ``--harness-state`` (mutually exclusive, one required)."""
    g = parser.add_mutually_exclusive_group(required=True)
    g.add_argument("--stack", metavar="NAME", help="read the topology output of this Pulumi stack")
    g.add_argument("--topology", metavar="FILE", help="read the topology document from FILE")
    if harness:
        g.add_argument("--harness-state", metavar="DIR", help="the topology.json of a running harness stack")
    parser.add_argument("--cwd", metavar="DIR", help="Pulumi project directory for --stack")


def add_parser(parser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    add_source_args(parser)
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S", help="per-probe timeout in seconds (default 10)")
    parser.add_argument("--wait", type=float, default=0.0, metavar="S",
                        help="retry with backoff until every probe passes or S seconds have passed")
    parser.add_argument("--services", metavar="A,B", help="probe only these service keys")
    parser.add_argument("--present-only", action="store_true",
                        help="do not fail services the software mode requires but the topology lacks")
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")


def run(args) -> int:
    from somastack_deploy.checks import runner, sources
    from somastack_deploy.reports import render

    if args.timeout <= 0 or args.wait < 0:
        raise InputError("--timeout must be > 0 and --wait ≥ 0", variable="--timeout/--wait")
    topology = sources.from_args(args)
    services = None
    if args.services:
        services = [s.strip() for s in args.services.split(",") if s.strip()]
    report = runner.run(topology, timeout_s=args.timeout, wait_s=args.wait, services=services,
                        include_required=not args.present_only)
    if args.format == "json":
        text = render("json", [], tool="somastack-deploy probe", json_doc=report.to_json())
    else:
        results = report.to_results()
        text = render(args.format, results, tool="somastack-deploy.probe",
                      title=f"probe: stack {topology.stack} ({'healthy' if report.healthy else 'UNHEALTHY'},"
                            f" {report.wall_ms:.0f} ms wall)")
    write_report(text, args.output)
    return exitcodes.OK if report.healthy else exitcodes.FINDINGS
