"""``somastack-deploy schema [--topology]``: print JSON Schema (draft 2020-12).

Without options: the configuration contract (:func:`somastack_deploy.config_contract.model.json_schema`): an
object of environment variables (strings), catalogued names with type/allowed values/defaults,
aliases marked ``deprecated`` where superseded, unknown SA01_/SOMA_/SFM_/SOMASTACK_ names
rejected. With ``--topology``: the topology document (:class:`somastack_deploy.config_contract.topology.Topology`).
Exit 0.
"""

from __future__ import annotations

import argparse
import json
import sys

from .. import exitcodes

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def add_parser(parser: argparse.ArgumentParser) -> None:
    """Register the schema options on ``parser``."""
    parser.add_argument("--topology", action="store_true", help="print the topology document's schema instead")


def topology_schema() -> dict:
    """JSON Schema of :class:`somastack_deploy.config_contract.topology.Topology` (draft 2020-12)."""
    from somastack_deploy.config_contract.topology import Topology

    schema = Topology.model_json_schema()
    return {"$schema": DRAFT, "$id": "https://somastack.io/schemas/somastack-deploy/topology.json", **schema}


def run(args: argparse.Namespace) -> int:
    """Print the schema to stdout; returns 0."""
    if args.topology:
        schema = topology_schema()
    else:
        from somastack_deploy.config_contract.model import json_schema

        schema = json_schema()
    sys.stdout.write(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    return exitcodes.OK
