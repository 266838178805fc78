"""``somastack-deploy up --stack NAME``: see :mod:`somastack_deploy.commands.stack_ops`."""

from __future__ import annotations

from . import stack_ops


def add_parser(parser) -> None:
    stack_ops.add_parser(parser, "up")


def run(args) -> int:
    return stack_ops.run(args, "up")
