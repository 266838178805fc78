"""``somastack-deploy drift``: compare live services and config against what the repo declares.

Usage: ``somastack-deploy drift (--stack NAME | --topology FILE | --harness-state DIR)
[--assets DIR] [--expected-env FILE --live pid:N|docker:NAME|ecs:TASKDEF|k8s:NS/DEPLOYMENT]
[--baseline FILE] [--write-baseline FILE] [--format json|markdown|sarif|text] [--output FILE]
[--services a,b] [--timeout S]``.

- service drift for every service of the topology (``somastack_deploy.checks.drift.services``);
- config drift: with ``--harness-state``, every harness process's environment against its
  plug-in's; with ``--expected-env`` (a dotenv the contract renders; values may be references)
  and ``--live``, that workload's environment (``somastack_deploy.checks.drift.config``);
- infra drift with ``--stack`` (Pulumi refresh preview through ``somastack_deploy.checks.drift.engine``; needs
  the Pulumi CLI that ``harness/install/pulumi/build.sh`` builds, else a note says it was not checked).

Exit codes: 0 no drift (after the baseline), 1 drift or a service that could not be checked,
2 unusable input.
"""

from __future__ import annotations

import json
from pathlib import Path

from somastack_deploy.config_contract.errors import InputError
from somastack_deploy import exitcodes
from somastack_deploy.reports import write_report

from .options import path_arg
from .probe import add_source_args


#: The optional extra this command needs (named in the one-line message when it is missing).
EXTRA = "checks"

def add_parser(parser) -> None:
    add_source_args(parser)
    parser.add_argument("--assets", metavar="DIR", type=path_arg, help="the declared assets (default: the assets bundled with the package)")
    parser.add_argument("--expected-env", metavar="FILE", help="dotenv of the environment the contract renders")
    parser.add_argument("--live", metavar="SOURCE", help="pid:N, docker:NAME, ecs:TASKDEF or k8s:NAMESPACE/DEPLOYMENT")
    parser.add_argument("--baseline", metavar="FILE", type=path_arg, help="accepted drift (a previous report or a baseline file)")
    parser.add_argument("--write-baseline", metavar="FILE", type=path_arg, help="write the found drift as a baseline to FILE")
    parser.add_argument("--format", choices=("json", "markdown", "sarif", "text"), default="text")
    parser.add_argument("--output", metavar="FILE", type=path_arg)
    parser.add_argument("--services", metavar="A,B", help="check only these services")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S", help="per-service timeout (default 10)")
    parser.add_argument("--region", help="AWS region for --live ecs:")


def _live_env(spec: str, region: str | None) -> tuple[str, dict[str, dict[str, str]]]:
    from somastack_deploy.checks.drift import config as C

    kind, _, target = spec.partition(":")
    if not target:
        raise InputError("expected KIND:TARGET (pid:N, docker:NAME, ecs:TASKDEF, k8s:NS/DEPLOYMENT)", variable="--live")
    if kind == "pid":
        if not target.isdigit():
            raise InputError("pid must be a number", variable="--live")
        return "process", {f"process {target}": C.proc_environ(int(target))}
    if kind == "docker":
        import docker

        try:
            container = docker.from_env().containers.get(target)
        except Exception as err:  # noqa: BLE001 - no engine, unknown container
            raise InputError(f"docker: {type(err).__name__}: {str(err).splitlines()[0][:160]}", variable="--live") from None
        return "container", {f"container {target}": C.docker_environ(container)}
    if kind == "ecs":
        import boto3

        envs = C.ecs_environ(boto3.client("ecs", region_name=region), target)
        return "task definition", {f"task definition {target} container {k}": v for k, v in envs.items()}
    if kind == "k8s":
        from kubernetes import client, config

        from kubernetes.client.rest import ApiException
        from kubernetes.config import ConfigException

        ns, _, name = target.partition("/")
        if not ns or not name:
            raise InputError("expected k8s:NAMESPACE/DEPLOYMENT", variable="--live")
        try:
            config.load_kube_config()
            envs = C.k8s_environ(client.AppsV1Api(), ns, name, client.CoreV1Api())
        except ConfigException as err:
            raise InputError(f"kubeconfig: {str(err).splitlines()[0][:160]}", variable="--live") from None
        except ApiException as err:
            raise InputError(f"deployment {ns}/{name}: HTTP {err.status} {err.reason}", variable="--live") from None
        return "deployment", {f"deployment {ns}/{name} container {k}": v for k, v in envs.items()}
    raise InputError(f"unknown live source kind {kind!r}", variable="--live")


def run(args) -> int:
    from somastack_deploy.extras import require

    require(EXTRA)  # the one-line "needs the checks extra" before any work
    from somastack_deploy.checks import sources
    from somastack_deploy.checks.drift import model
    from somastack_deploy.checks.drift.report import render_report
    from somastack_deploy.checks.drift.services import REPO_ASSETS, service_drift

    if bool(args.expected_env) != bool(args.live):
        raise InputError("--expected-env and --live go together", variable="--expected-env")
    topology = sources.from_args(args)
    accepted = model.load_baseline(args.baseline) if args.baseline else set()
    assets = Path(args.assets) if args.assets else REPO_ASSETS
    if args.assets and not assets.is_dir():
        raise InputError("not a directory", path=args.assets)
    services = [s.strip() for s in args.services.split(",")] if args.services else None
    rep = model.DriftReport(topology.stack)
    items, checked, errors = service_drift(topology, assets=assets, services=services, timeout_s=args.timeout)
    rep.items += items
    rep.checked += checked
    rep.errors += errors
    if args.harness_state:
        from somastack_deploy.checks.drift.config import harness_config_drift
        from somastack_deploy.checks.resilience.cyclers.harness import HarnessCycler

        h = HarnessCycler.from_state_dir(args.harness_state).h
        items, errors = harness_config_drift(h, services)
        rep.items += items
        rep.errors += errors
        rep.checked.append("harness process environments")
    if args.expected_env:
        from somastack_deploy.checks.drift.config import compare_env
        from somastack_deploy.config_contract.sources import read_dotenv

        expected, _ = read_dotenv(args.expected_env)
        kind, lives = _live_env(args.live, args.region)
        for workload, live in lives.items():
            rep.items += compare_env(expected, live, service="agent", workload=workload, source=args.expected_env)
        rep.checked.append(f"{kind} environment")
    if args.stack:
        from somastack_deploy.checks.drift.engine import EngineDriftError, infra_drift
        from somastack_deploy.project import find_project_dir

        project_dir = str(find_project_dir(args.cwd))  # none: one line, exit 2

        try:
            items, notes = infra_drift(args.stack, project_dir)
            rep.items += items
            rep.notes += notes
            if not notes:
                rep.checked.append("pulumi refresh preview")
        except EngineDriftError as err:  # one line, names the stack, never a secret
            rep.errors.append(f"pulumi: {err}")
        except Exception as err:  # noqa: BLE001 - an Automation API failure outside the CLI run
            rep.errors.append(f"pulumi: {type(err).__name__}: {(str(err).strip().splitlines() or [''])[-1][:200]}")
    else:
        rep.notes.append("infra drift not checked: it needs --stack (Pulumi refresh preview)")
    rep.apply_baseline(accepted)
    text = render_report(rep, args.format)
    if args.write_baseline:
        doc = {"version": model.JSON_VERSION, "accepted": [i.to_json() for i in rep.items + rep.accepted]}
        try:
            Path(args.write_baseline).write_text(json.dumps(doc, indent=2) + "\n")
        except OSError as err:
            raise InputError(err.strerror or "cannot write", path=args.write_baseline) from None
    write_report(text, args.output)
    return exitcodes.FINDINGS if (rep.drift or rep.errors) else exitcodes.OK
