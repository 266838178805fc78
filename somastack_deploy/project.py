"""Find the Pulumi project a command acts on (``plan`` and the Pulumi-CLI-style commands).

The project is the directory holding ``Pulumi.yaml`` (or ``Pulumi.yml``): the current directory
or ``--cwd DIR``, searched upwards the way the Pulumi CLI searches for its project file. It is
never the package's own location: an installed wheel carries no Pulumi project, so a command
run outside one says so in one line (exit 2) instead of reading site-packages.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from somastack_deploy.config_contract.errors import InputError

#: Project file names the Pulumi CLI accepts, in its order.
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")

CWD_HELP = "the Pulumi project directory (holds Pulumi.yaml; default: the current directory or a parent)"


def add_cwd_option(parser: argparse.ArgumentParser) -> None:
    """Register ``--cwd DIR`` (default None) on ``parser`` with the shared help text."""
    parser.add_argument("--cwd", metavar="DIR", help=CWD_HELP)


def find_project_dir(cwd: str | os.PathLike | None = None) -> Path:
    """The absolute directory holding the Pulumi project file, searching ``cwd`` (resolved
    against the current directory; default the current directory) and then its parents.

    Raises :class:`InputError` (one line, exit 2) when ``cwd`` is not a directory or when no
    ``Pulumi.yaml`` is found: "no Pulumi project (Pulumi.yaml) in DIR or its parents: run from
    the project directory or give --cwd DIR".
    """
    start = Path(cwd if cwd is not None else os.getcwd()).expanduser().resolve()
    if not start.is_dir():
        raise InputError("not a directory", path=str(cwd), variable="--cwd")
    for directory in (start, *start.parents):
        if any((directory / name).is_file() for name in PROJECT_FILES):
            return directory
    raise InputError(f"no Pulumi project (Pulumi.yaml) in {start} or its parents: "
                     "run from the project directory or give --cwd DIR")
