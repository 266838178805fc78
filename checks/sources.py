"""Where a check gets the topology document from (issue 5, "Where the endpoints come from").

- ``--stack NAME``: ``pulumi stack output --json --stack NAME``; the output named
  ``topology`` holds the document (an object, or a JSON string of it). Stack outputs carry
  endpoints and secret references, never secret values.
- ``--topology FILE``: the same schema from a file (the harness writes one).
- ``--harness-state DIR``: ``DIR/topology.json`` of a running harness stack.

Every failure raises :class:`somastack_deploy.config_contract.errors.InputError` (exit 2, one line).
"""

from __future__ import annotations

import json
import os
import subprocess

from pydantic import ValidationError

from somastack_deploy.config_contract.errors import InputError
from somastack_deploy.config_contract.topology import Topology, load_topology


def _validation_line(err: ValidationError) -> tuple[str, str]:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ()))
    return loc, first.get("msg", "invalid")


def from_file(path: str) -> Topology:
    """Load and validate a topology file; :class:`InputError` naming the file and field."""
    try:
        return load_topology(path)
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except OSError as err:
        raise InputError(err.strerror or "unreadable", path=path) from None
    except ValidationError as err:
        loc, msg = _validation_line(err)
        raise InputError(f"not a topology document (version 1): {msg}", path=path, variable=loc or None) from None
    except ValueError as err:
        raise InputError(f"not a topology document: {str(err).splitlines()[0]}", path=path) from None


def from_harness_state(state_dir: str) -> Topology:
    """The topology written by the real-services harness in ``state_dir``."""
    return from_file(os.path.join(state_dir, "topology.json"))


def from_stack_outputs(outputs: dict, *, stack: str) -> Topology:
    """Validate the ``topology`` output of ``pulumi stack output --json``."""
    where = f"pulumi stack {stack}"
    if "topology" not in outputs:
        raise InputError("stack has no output named topology", path=where)
    doc = outputs["topology"]
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except json.JSONDecodeError:
            raise InputError("output topology is not JSON", path=where) from None
    try:
        return Topology.model_validate(doc)
    except ValidationError as err:
        loc, msg = _validation_line(err)
        raise InputError(f"output topology: {msg}", path=where, variable=loc or None) from None


def from_stack(stack: str, *, cwd: str | None = None, pulumi: str | None = None, timeout_s: float = 60.0) -> Topology:
    """Run ``pulumi stack output --json --stack NAME`` (no ``--show-secrets``) and validate
    its ``topology`` output. :class:`InputError` when the CLI is missing, fails or times out."""
    if pulumi is None:
        from somastack_deploy.checks.drift.engine_cli import find_cli

        pulumi = find_cli()
    exe = pulumi
    if not exe:
        raise InputError("the pulumi CLI is not installed (needed for --stack); use --topology FILE", path=f"pulumi stack {stack}")
    try:
        proc = subprocess.run([exe, "stack", "output", "--json", "--stack", stack], cwd=cwd, capture_output=True,
                              text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise InputError(f"pulumi stack output did not answer within {timeout_s:g}s", path=f"pulumi stack {stack}") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        raise InputError(f"pulumi stack output failed: {last}", path=f"pulumi stack {stack}")
    try:
        outputs = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError:
        raise InputError("pulumi stack output did not print JSON", path=f"pulumi stack {stack}") from None
    return from_stack_outputs(outputs, stack=stack)


def from_args(args) -> Topology:
    """Pick the source from parsed CLI args (``stack``, ``topology``, ``harness_state``)."""
    if getattr(args, "topology", None):
        return from_file(args.topology)
    if getattr(args, "harness_state", None):
        return from_harness_state(args.harness_state)
    if getattr(args, "stack", None):
        return from_stack(args.stack, cwd=getattr(args, "cwd", None))
    raise InputError("give --stack NAME or --topology FILE")
