"""Option types shared by the subcommands.

:func:`path_arg` is the ``type=`` of every file or directory option that names something the
command reads or writes by path (``--topology``, ``--harness-state``, ``--assets``,
``--baseline``, ``--output`` …): it is resolved against the current directory when the command
line is parsed, so a relative and an absolute spelling behave the same wherever the value is
used later (another module, a subprocess with another working directory, a stored state dir).
Positional env files and ``--env-file`` keep the spelling the user gave: findings name them as
given (relative paths in SARIF ``artifactLocation``), and they are read at once.
"""

from __future__ import annotations

import os


def path_arg(value: str) -> str:
    """argparse ``type``: ``value`` with ``~`` expanded, made absolute against the current
    directory (no symlink resolution, no existence check: the command reports a missing file
    as a one-line input error naming it)."""
    return os.path.abspath(os.path.expanduser(value))
