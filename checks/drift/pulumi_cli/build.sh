#!/usr/bin/env bash
# Build the Pulumi CLI v3.259.0 from the Go module proxy (pkg/v3 + sdk/v3 through this wrapper
# module, which copies pkg's fork replace of github.com/atotto/clipboard; pkg's own
# `sdk/v3 => ../sdk` replace is served by the proxy's sdk/v3 v3.259.0) into
#   ${SOMASTACK_CACHE:-~/.cache/somastack-deploy}/pulumi-cli/3.259.0/bin/pulumi
# together with the Python dynamic-provider shim `pulumi-resource-pulumi-python`.
# Idempotent: does nothing when the binary is there. Cold build: ~24 min on 2 busy cores
# (GOFLAGS -p 1, nice 19), ~160 MB binary. Needs `go` >= 1.25 (GOTOOLCHAIN=local).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${SOMASTACK_CACHE:-$HOME/.cache/somastack-deploy}/pulumi-cli/3.259.0"
bin="$cache/bin"
if [ -x "$bin/pulumi" ] && [ -x "$bin/pulumi-resource-pulumi-python" ]; then
  exit 0
fi
mkdir -p "$bin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/go.mod" "$here/go.sum" "$work/"
cd "$work"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
go mod download github.com/pulumi/pulumi/pkg/v3
nice -n 19 go build -p "${PULUMI_BUILD_JOBS:-1}" \
  -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v3.259.0" \
  -o "$bin/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
mv "$bin/pulumi.tmp" "$bin/pulumi"
cat > "$bin/pulumi-resource-pulumi-python" <<'SHIM'
#!/bin/sh
# Dynamic-provider host of the Pulumi Python SDK (the same shim the CLI distribution ships).
exec "${PULUMI_PYTHON_CMD:-python3}" -u -m pulumi.dynamic "$@"
SHIM
chmod +x "$bin/pulumi-resource-pulumi-python"
"$bin/pulumi" version
