"""Pulumi entry point (``Pulumi.yaml``: ``main: stacks/``).

Pulumi runs this file with ``stacks/`` as ``sys.path[0]``; replace it by the project root so
that the packages (``components``, ``stacks``, ``config_contract``) import without an
installed wheel and no module here shadows a standard-library one.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

from stacks.program import main  # noqa: E402

main()
