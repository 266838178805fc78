"""``somastack-deploy refresh --stack NAME``: see :mod:`somastack_deploy.commands.stack_ops`."""

from __future__ import annotations

from . import stack_ops


def add_parser(parser) -> None:
    stack_ops.add_parser(parser, "refresh")


def run(args) -> int:
    return stack_ops.run(args, "refresh")
