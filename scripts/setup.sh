#!/usr/bin/env bash
# Create .venv and install somastack-deploy with its test extras (idempotent, uses pip's cache).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
fi
.venv/bin/pip install -q -c scripts/constraints.txt -e ".[test]"
