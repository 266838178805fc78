#!/usr/bin/env bash
# Build the Pulumi CLI from the Go module proxy into the harness cache (idempotent, cached).
#
# Usage: harness/install/pulumi/build.sh [CACHE_DIR]
#   CACHE_DIR defaults to ${SOMASTACK_CACHE:-$HOME/.cache/somastack-deploy}; everything goes to
#   CACHE_DIR/pulumi/: bin/ (pulumi, pulumi-resource-pulumi-python, pulumi-analyzer-policy-python),
#   gomodcache/, gocache/, and bin/.stamp (version + wrapper go.mod hash).
#
# What is built and why (docs/engine.md):
#   - bin/pulumi: github.com/pulumi/pulumi/pkg/v3/cmd/pulumi at $PULUMI_VERSION through the wrapper
#     module cli/ (requires pkg/v3 + sdk/v3 at the same version, copies pkg's clipboard replace).
#   - bin/pulumi-resource-pulumi-python: the dynamic-provider launcher script shipped inside the
#     sdk/v3 module (python/dist/); Python dynamic providers need it.
#   - bin/pulumi-analyzer-policy-python: shim (this directory) for the CLI's documented fallback
#     when no `pulumi-language-python` plugin exists: runs a Python policy pack's __main__.py.
#   The Python language host (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3)
#   is NOT built: the Go module proxy answers 403 "This module version is not available" for
#   every version of it. Python programs therefore run as Automation API inline programs.
#
# Exit 0 when the binaries are in place (already or newly built); non-zero with a one-line
# reason on stderr otherwise. Builds run under `nice -n 19`, GOTOOLCHAIN=local, GOFLAGS=-mod=mod.
set -euo pipefail

PULUMI_VERSION=v3.259.0
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${1:-${SOMASTACK_CACHE:-$HOME/.cache/somastack-deploy}}/pulumi"
BIN="$CACHE/bin"

die() { echo "pulumi build: $*" >&2; exit 1; }

stamp="$PULUMI_VERSION $(cat "$HERE/cli/go.mod" "$HERE/pulumi-analyzer-policy-python" | sha256sum | cut -c1-16)"
if [[ -x "$BIN/pulumi" && -x "$BIN/pulumi-resource-pulumi-python" && -x "$BIN/pulumi-analyzer-policy-python" \
      && "$(cat "$BIN/.stamp" 2>/dev/null)" == "$stamp" ]]; then
  exit 0  # cached
fi
command -v go >/dev/null || die "\`go\` not found on PATH (install Go >= 1.25)"

export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOMODCACHE="$CACHE/gomodcache" GOCACHE="$CACHE/gocache"
export GOPROXY="${GOPROXY:-https://proxy.golang.org}" CGO_ENABLED=0
mkdir -p "$CACHE"
stage="$(mktemp -d "$CACHE/.stage.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
cp "$HERE/cli/go.mod" "$HERE/cli/tools.go" "$stage/"
[[ -f "$HERE/cli/go.sum" ]] && cp "$HERE/cli/go.sum" "$stage/"
mkdir -p "$stage/bin"
log="$CACHE/build.log"
start=$(date +%s)
(
  cd "$stage"
  nice -n 19 go mod tidy
  nice -n 19 go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o bin/pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
) >"$log" 2>&1 || die "go build of pulumi $PULUMI_VERSION failed: $(grep -v '^go: downloading' "$log" | tail -n 1) (log: $log)"

sdk_dir="$(cd "$stage" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)" \
  || die "cannot locate github.com/pulumi/pulumi/sdk/v3 in the module cache"
install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$stage/bin/"
install -m 0755 "$HERE/pulumi-analyzer-policy-python" "$stage/bin/"
"$stage/bin/pulumi" version >/dev/null 2>&1 || die "built pulumi does not run: $stage/bin/pulumi version"

mkdir -p "$BIN"
for f in pulumi pulumi-resource-pulumi-python pulumi-analyzer-policy-python; do
  mv -f "$stage/bin/$f" "$BIN/$f"
done
echo "$stamp" > "$BIN/.stamp"
echo "pulumi build: $PULUMI_VERSION in $(( $(date +%s) - start )) s -> $BIN" >&2
