#!/usr/bin/env bash
# Build gitleaks from the Go module proxy into the harness cache, for benchmarks/scan.py.
#
#   bash benchmarks/build_gitleaks.sh [VERSION]     # default: latest (go list -m …@latest)
#
# Result: ${SOMASTACK_CACHE:-~/.cache/somastack-deploy}/gitleaks/bin/gitleaks (benchmarks/scan.py
# looks there and on PATH). Needs Go >= 1.24 (the local toolchain only: GOTOOLCHAIN=local);
# GOMODCACHE/GOCACHE live under the same cache as the harness's Go builds. ~1-2 min cold.
set -euo pipefail
CACHE=${SOMASTACK_CACHE:-$HOME/.cache/somastack-deploy}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
MODULE=github.com/zricethezav/gitleaks/v8
export GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 \
       GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOBIN="$CACHE/gitleaks/bin"
VERSION=${1:-$("$GO" list -m -f '{{.Version}}' "$MODULE@latest")}
mkdir -p "$GOBIN"
"$GO" install -ldflags "-X $MODULE/version.Version=$VERSION" "$MODULE@$VERSION"
echo "gitleaks $("$GOBIN/gitleaks" version) -> $GOBIN/gitleaks"
