#!/usr/bin/env bash
# The test command: install the package, install the real services (cached), run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/somastack-services install
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
