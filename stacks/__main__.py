"""Pulumi entry point (``Pulumi.yaml``: ``main: stacks/``).

Pulumi runs this file with ``stacks/`` as ``sys.path[0]``; drop it so that no module here
shadows a standard-library one. The program imports ``somastack_deploy.stacks`` from the
project's virtualenv (``scripts/setup.sh`` installs the checkout in editable mode, which maps
``stacks/`` to ``somastack_deploy.stacks``).
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

from somastack_deploy.stacks.program import main  # noqa: E402

main()
