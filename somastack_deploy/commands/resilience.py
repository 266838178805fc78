"""``somastack-deploy resilience``: take the stack down and up N times (seed 002 §5.3,
"Rule 122") and verify health and a data ledger after each cycle.

Usage: ``somastack-deploy resilience (--stack NAME | --topology FILE | --harness-state DIR)
--cycles 10 [--hard] [--target harness|docker|ecs|eks] [--format text|json|html]
[--output FILE] [--cycle-deadline S] [--timeout S] [--services a,b]``.

Targets: ``--harness-state DIR`` cycles the harness's processes; ``--target docker``
(``--project``), ``ecs`` (``--cluster``, ``--ecs-services``), ``eks`` (``--namespace``,
``--deployments``) cycle those targets through their APIs.

It takes the services down and writes a ledger into every store (:data:`EPILOG`, shown by
``resilience --help``), so a topology whose environment is PROD is refused unless ``--yes``.
The ledger entries are removed at the end unless ``--keep-ledger``.

Exit codes: 0 every cycle passed with the ledger intact, 1 a cycle failed or data was lost,
2 unusable input (also: a PROD topology without ``--yes``).
"""

from __future__ import annotations

import argparse
import sys

from somastack_deploy.config_contract.errors import InputError
from somastack_deploy import exitcodes
from somastack_deploy.reports import write_report

from .probe import WRITES, add_source_args

EPILOG = """\
This command takes the stack's services DOWN --cycles times (a graceful stop, or SIGKILL with
--hard, through the target: harness processes, Docker Compose, ECS services, EKS Deployments)
and starts them again: clients of the stack see an outage in every cycle.

What it writes, before the first cycle, one ledger entry per stateful service (<run> = a random
24-hex run id; payloads are random, reports show only their SHA-256):
  postgres  a row id=<run> in table somastack_ledger (created when missing)
  redis     the key somastack:ledger:<run>
  kafka     3 messages keyed <run> in topic somastack.ledger (created when missing)
  milvus    one entity in collection somastack_ledger (created when missing)
  spicedb   one relationship on the object ledger-<run> of the first fitting definition
  vault     the KV v2 secret <mount>/somastack-ledger/<run>
  opa       the data document /v1/data/somastack_ledger/r<run>
At the end it removes them again (the report lists any it could not remove); --keep-ledger
keeps them. Left-over entries carry these names and can be deleted by hand; Kafka deletes
only whole prefixes of a partition: the records go (DeleteRecords) and the topic stays
(kafka-topics.sh --delete --topic somastack.ledger removes it).
It also runs the probes before and after every cycle.

""" + WRITES + """

A topology whose environment is PROD is refused unless --yes is given.

exit codes: 0 every cycle passed with the ledger intact, 1 a cycle failed or data was lost,
2 unusable input (or a PROD topology without --yes)"""


def add_parser(parser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    add_source_args(parser)
    parser.add_argument("--yes", action="store_true",
                        help="proceed on a topology whose environment is PROD (refused otherwise)")
    parser.add_argument("--keep-ledger", action="store_true",
                        help="keep the ledger entries at the end (default: remove them)")
    parser.add_argument("--cycles", type=int, default=10, help="number of down/up cycles (default 10)")
    parser.add_argument("--hard", action="store_true", help="SIGKILL / kill instead of a graceful stop")
    parser.add_argument("--target", choices=("harness", "docker", "ecs", "eks"),
                        help="what to cycle (default: harness with --harness-state, else from the topology target)")
    parser.add_argument("--format", choices=("text", "json", "html"), default="text")
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE")
    parser.add_argument("--cycle-deadline", type=float, default=300.0, metavar="S",
                        help="seconds one cycle may take to go down and recover (default 300)")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S", help="per-probe timeout (default 10)")
    parser.add_argument("--services", metavar="A,B", help="cycle and check only these services")
    parser.add_argument("--project", help="Docker Compose project name (docker target)")
    parser.add_argument("--cluster", help="ECS cluster (ecs target)")
    parser.add_argument("--ecs-services", metavar="A,B", help="ECS service names (ecs target)")
    parser.add_argument("--region", help="AWS region (ecs target)")
    parser.add_argument("--namespace", default="default", help="Kubernetes namespace (eks target)")
    parser.add_argument("--deployments", metavar="A,B", help="Deployment names (eks target)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def make_cycler(args, topology):
    """Build the cycler for ``args.target`` (InputError when its options are missing)."""
    target = args.target or ("harness" if args.harness_state else {"LOCAL": "docker", "FARGATE": "ecs",
                                                                   "ECS_EC2": "ecs", "EKS": "eks"}.get(
        topology.dimensions.target))
    services = _csv(args.services)
    if target == "harness":
        if not args.harness_state:
            raise InputError("the harness target needs --harness-state DIR", variable="--harness-state")
        from somastack_deploy.checks.resilience.cyclers.harness import HarnessCycler

        return HarnessCycler.from_state_dir(args.harness_state, services or sorted(topology.services))
    if target == "docker":
        from somastack_deploy.checks.resilience.cyclers.docker import DockerCycler

        return DockerCycler.from_env(project=args.project or topology.stack)
    if target == "ecs":
        if not (args.cluster and args.ecs_services):
            raise InputError("the ecs target needs --cluster and --ecs-services", variable="--cluster")
        from somastack_deploy.checks.resilience.cyclers.ecs import ECSCycler

        return ECSCycler.from_env(args.cluster, _csv(args.ecs_services), region=args.region)
    if target == "eks":
        if not args.deployments:
            raise InputError("the eks target needs --deployments", variable="--deployments")
        from somastack_deploy.checks.resilience.cyclers.eks import EKSCycler

        return EKSCycler.from_kubeconfig(args.namespace, _csv(args.deployments))
    raise InputError(f"no cycler for target {topology.dimensions.target}; give --target", variable="--target")


def run(args) -> int:
    from somastack_deploy.checks import sources
    from somastack_deploy.checks.resilience import loop, report

    if args.cycles < 1 or args.cycle_deadline <= 0 or args.timeout <= 0:
        raise InputError("--cycles must be ≥ 1, --cycle-deadline and --timeout > 0", variable="--cycles")
    topology = sources.from_args(args)
    if topology.dimensions.environment == "PROD" and not args.yes:
        raise InputError(f"refusing to cycle stack {topology.stack}: its topology says environment PROD; "
                         "resilience takes every service down and writes ledger data into every store "
                         "(see --help); add --yes to proceed", variable="--yes")
    services = _csv(args.services)
    for s in services or ():
        if s not in topology.services:
            raise InputError(f"service not in the topology of stack {topology.stack}", variable=s)
    cycler = make_cycler(args, topology)
    rep = loop.run_cycles(topology, cycler, cycles=args.cycles, hard=args.hard, cycle_deadline_s=args.cycle_deadline,
                          probe_timeout_s=args.timeout, services=services,
                          progress=not args.no_progress and sys.stderr.isatty(), keep_ledger=args.keep_ledger)
    text = report.render(rep, args.format)
    write_report(text, args.output)
    if args.output and args.format != "text":
        sys.stdout.write(report.to_text(rep))  # the file holds the report; a summary for the log
    return exitcodes.OK if rep.passed else exitcodes.FINDINGS
