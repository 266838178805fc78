#!/usr/bin/env bash
# Mutation testing of the verdict code with mutmut 3 (installed into .venv by this script).
#
# Usage: bash scripts/mutation.sh [MODULE.py ...]
#   MODULE: a repo path such as checks/probes/classify.py or policies/rules/ (a folder: its
#   modules). Default: every module of the verdict code (list below). Prints killed/survived per
#   module, then the surviving mutants' names (`mutmut show NAME` in the work dir shows a diff).
# Environment:
#   MUTATION_WORKDIR   where the staged tree and mutmut's mutants/ live (default
#                      ${TMPDIR:-/tmp}/somastack-mutation-$UID; wiped at the start)
#   MUTATION_JOBS      parallel mutant workers (default 1: the machine is shared)
#   MUTATION_TESTS     pytest selection (default: the fast, service-free test files that check
#                      the verdict code in-process; tests that run the code in a subprocess from
#                      the repo layout, e.g. tests/policies/test_policy_pack.py, cannot see mutants);
#                      services-marked tests are always deselected
#   MUTATION_MUTANTS   mutant name globs to run (default: all of the modules), e.g.
#                      "somastack_deploy.stacks.fargate.runtime.x_secret*" (names: module.x_function__mutmut_N)
#
# Why a staged tree: the repository keeps top-level folders (config_contract/, checks/, ...)
# that setup.py maps into the one import name somastack_deploy (package_dir). mutmut copies the
# files it mutates into mutants/<path> and puts mutants/ first on sys.path; with the repo's
# layout the tests would import somastack_deploy.* through the editable install's finder and
# never run a mutant. So the script stages the real files in their import layout
# (somastack_deploy/<folder>/...), copied fresh from this checkout, and mutmut mutates those:
# every mutant is a mutant of the file in this repository, imported under its real name.
# CPU-heavy: run it on the modules you changed. Tests that need live services (OpenBao,
# LocalStack): run the survivors again with scripts/mutation_live.py (a pytest plug-in, one session).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || { echo "mutation.sh: run scripts/setup.sh first (.venv missing)" >&2; exit 2; }
"$PY" -m pip install -q --disable-pip-version-check "mutmut==3.8.1"

DEFAULT_MODULES=(
  config_contract/rules/ config_contract/masking.py config_contract/context.py config_contract/references.py
  config_contract/topology.py policies/rules/ policies/registry.py policies/evaluate.py
  checks/probes/classify.py checks/resilience/ledger.py checks/resilience/loop.py
  checks/drift/model.py checks/drift/engine.py stacks/fargate/runtime.py config_contract/secret_backends.py
)
# the grammar modules (host classification, reference grammar), once they exist
for extra in config_contract/grammar/; do [ -e "$extra" ] && DEFAULT_MODULES+=("$extra"); done
MODULES=("$@")
[ ${#MODULES[@]} -gt 0 ] || MODULES=("${DEFAULT_MODULES[@]}")

DEFAULT_TESTS="tests/contract/test_rules.py tests/contract/test_seed_examples.py tests/contract/test_value_rules_messages.py
tests/contract/test_rule_errors.py tests/contract/test_fuzz.py tests/policies/test_policy_rules.py tests/policies/test_rule_errors.py tests/policies/test_registry_pure.py tests/checks/test_classify_pure.py tests/checks/test_resilience_pure.py
tests/checks/test_cyclers_models.py tests/components/test_pure.py tests/scan/test_secret_backends.py
tests/scan/test_secret_backends_pure.py tests/scan/test_fallbacks.py tests/scan/test_literals.py tests/engine/test_engine_drift.py tests/stacks/test_fargate_secrets.py"
TESTS=${MUTATION_TESTS:-$DEFAULT_TESTS}
WORK=${MUTATION_WORKDIR:-${TMPDIR:-/tmp}/somastack-mutation-$UID}
JOBS=${MUTATION_JOBS:-1}

# -- stage the real files in their import layout -------------------------------------------
rm -rf "$WORK"
mkdir -p "$WORK/somastack_deploy"
cp -a somastack_deploy/. "$WORK/somastack_deploy/"
for top in config_contract components stacks policies checks harness; do
  cp -a "$top" "$WORK/somastack_deploy/$top"
done
find "$WORK" -name __pycache__ -prune -exec rm -rf {} +
cp -a tests examples assets docs "$WORK/"
cp -a Pulumi*.yaml README.md "$WORK/"
ONLY=()
for m in "${MODULES[@]}"; do
  [ -e "$m" ] || { echo "mutation.sh: no such module: $m" >&2; exit 2; }
  if [ -d "$m" ]; then ONLY+=("somastack_deploy/${m%/}/*"); else ONLY+=("somastack_deploy/$m"); fi
done
"$PY" - "$WORK" "$JOBS" "$TESTS" "${ONLY[@]}" <<'EOF'
import json, sys, tomllib
from pathlib import Path

work, jobs, tests, only = Path(sys.argv[1]), sys.argv[2], sys.argv[3].split(), sys.argv[4:]
src = tomllib.loads(Path("pyproject.toml").read_text())
pytest_cfg = src["tool"]["pytest"]["ini_options"]
q = json.dumps
lines = ["[tool.pytest.ini_options]"] + [f"{k} = {q(v)}" for k, v in pytest_cfg.items()]
lines += ["", "[tool.mutmut]", f"source_paths = {q(['somastack_deploy'])}", f"only_mutate = {q(only)}",
          f"also_copy = {q(['tests', 'examples', 'assets', 'docs', 'README.md'] + sorted(p.name for p in work.glob('Pulumi*.yaml')))}",
          f"pytest_add_cli_args = {q(['-p', 'no:cacheprovider', '-m', 'not services', '-q', '-W', 'ignore::DeprecationWarning'])}",
          f"pytest_add_cli_args_test_selection = {q(tests)}",
          'process_isolation = "forkserver"']
(work / "pyproject.toml").write_text("\n".join(lines) + "\n")
EOF

# -- run ------------------------------------------------------------------------------------
cd "$WORK"
T0=$(date +%s)
# shellcheck disable=SC2086  # MUTATION_MUTANTS is a list of globs, split on purpose (quoted: no expansion here)
set -f
"$ROOT/.venv/bin/mutmut" run --max-children "$JOBS" ${MUTATION_MUTANTS:-} > "$WORK/mutmut-run.log" 2>&1 || {
  echo "mutation.sh: mutmut run failed; the end of $WORK/mutmut-run.log:" >&2; tail -25 "$WORK/mutmut-run.log" >&2; exit 1; }
T1=$(date +%s)
set +f

# -- per-module figures ---------------------------------------------------------------------
"$PY" - "$((T1 - T0))" <<'EOF'
import json, sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

rows, survivors = [], []
for meta in sorted(Path("mutants/somastack_deploy").rglob("*.py.meta")):
    data = json.loads(meta.read_text())
    codes = data.get("exit_code_by_key", {})
    if not codes:
        continue
    st = Counter(status_by_exit_code[c] for c in codes.values())
    module = str(meta.relative_to("mutants/somastack_deploy"))[: -len(".meta")]
    decided = st["killed"] + st["survived"] + st["timeout"]
    killed = st["killed"] + st["timeout"]
    rows.append((module, len(codes), killed, st["survived"], st["no tests"], st["suspicious"] + st["segfault"],
                 100.0 * killed / decided if decided else 0.0))
    survivors += sorted(k for k, c in codes.items() if status_by_exit_code[c] in ("survived", "no tests"))
print(f"{'module':<42} {'mutants':>7} {'killed':>7} {'survived':>8} {'no tests':>8} {'other':>6} {'killed %':>8}")
for module, total, killed, survived, none, other, pct in rows:
    print(f"{module:<42} {total:>7} {killed:>7} {survived:>8} {none:>8} {other:>6} {pct:>7.1f}%")
print(f"wall time {sys.argv[1]} s")
if survivors:
    print("\nsurvivors (and mutants no selected test reaches):")
    for name in survivors:
        print("  " + name)
EOF
