#!/usr/bin/env bash
# Build the pulumi-kubernetes resource provider plugin from the Go module proxy into the harness
# cache, beside the Pulumi CLI (idempotent, cached).
#
# Usage: harness/install/pulumi/build-provider-kubernetes.sh [CACHE_DIR]
#   CACHE_DIR defaults to ${SOMASTACK_CACHE:-$HOME/.cache/somastack-deploy}; the plugin goes to
#   CACHE_DIR/pulumi/bin/pulumi-resource-kubernetes with a stamp bin/.stamp-kubernetes (version +
#   wrapper hash); the build log to CACHE_DIR/pulumi/build-provider-kubernetes.log.
#
# What is built and why (docs/engine.md "pulumi-kubernetes provider"):
#   - wrapper module provider-kubernetes/ requires github.com/pulumi/pulumi-kubernetes/provider/v4
#     at the only pseudo-version the proxy serves, sdk/v4 v4.29.0 (the provider's go.mod replaces
#     it with ../sdk), and replace directives pinning pulumi pkg/v3 + sdk/v3 at v3.215.0 (the
#     provider's own requirement; sdk/v4 would raise sdk/v3 to v3.226.0, which pkg/v3 v3.215.0
#     does not compile against).
#   - the provider's main embeds schema-embed.json and terraform-mapping-embed.json, which its
#     `go generate` step writes and the module zip lacks; they are generated here from the
#     module's schema.json (with "version" set) and terraform-mapping.json (compacted), as its
#     generate.go does.
#   - the Go build and module caches are temporary (inside a staging dir, deleted afterwards):
#     only the ~100 MB stripped plugin is kept.
# With CACHE_DIR/pulumi/bin on PATH the Pulumi engine uses the plugin as an ambient plugin and
# downloads nothing.
#
# Exit 0 when the plugin is in place (already or newly built); non-zero with a one-line reason on
# stderr otherwise. Builds run under `nice -n 19`, GOTOOLCHAIN=local, GOFLAGS=-mod=mod.
set -euo pipefail

PROVIDER_VERSION=4.29.0
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/provider-kubernetes"
CACHE="${1:-${SOMASTACK_CACHE:-$HOME/.cache/somastack-deploy}}/pulumi"
BIN="$CACHE/bin"
PLUGIN="$BIN/pulumi-resource-kubernetes"

die() { echo "pulumi-resource-kubernetes build: $*" >&2; exit 1; }

stamp="$PROVIDER_VERSION $(cat "$SRC/go.mod" "$SRC/main.go" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)"
if [[ -x "$PLUGIN" && "$(cat "$BIN/.stamp-kubernetes" 2>/dev/null)" == "$stamp" ]]; then
  exit 0  # cached
fi
command -v go >/dev/null || die "\`go\` not found on PATH (install Go >= 1.25)"
command -v python3 >/dev/null || die "\`python3\` not found on PATH"

mkdir -p "$CACHE"
stage="$(mktemp -d "$CACHE/.stage-kubernetes.XXXXXX")"
cleanup() { chmod -R u+w "$stage" 2>/dev/null || true; rm -rf "$stage"; }
trap cleanup EXIT
export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOMODCACHE="$stage/gomodcache" GOCACHE="$stage/gocache"
export GOPROXY="${GOPROXY:-https://proxy.golang.org}" CGO_ENABLED=0
mkdir -p "$stage/src" "$stage/bin"
cp "$SRC/go.mod" "$SRC/main.go" "$stage/src/"
[[ -f "$SRC/go.sum" ]] && cp "$SRC/go.sum" "$stage/src/"
log="$CACHE/build-provider-kubernetes.log"
start=$(date +%s)
(
  cd "$stage/src"
  mod_dir="$(go mod download -json github.com/pulumi/pulumi-kubernetes/provider/v4 \
             | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
  cmd_dir="$mod_dir/cmd/pulumi-resource-kubernetes"
  python3 - "$cmd_dir" "$PROVIDER_VERSION" <<'PY'
import json, sys
src, version = sys.argv[1], sys.argv[2]
schema = json.load(open(f"{src}/schema.json", encoding="utf-8"))
schema["version"] = version
json.dump(schema, open("schema-embed.json", "w", encoding="utf-8"), separators=(",", ":"))
mapping = json.load(open(f"{src}/terraform-mapping.json", encoding="utf-8"))
json.dump(mapping, open("terraform-mapping-embed.json", "w", encoding="utf-8"), separators=(",", ":"))
PY
  nice -n 19 go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PROVIDER_VERSION" \
    -o "$stage/bin/pulumi-resource-kubernetes" .
) >"$log" 2>&1 || die "go build failed: $(grep -v '^go: downloading' "$log" | tail -n 1) (log: $log)"

[[ -x "$stage/bin/pulumi-resource-kubernetes" ]] || die "build produced no binary (log: $log)"
mkdir -p "$BIN"
mv -f "$stage/bin/pulumi-resource-kubernetes" "$PLUGIN"
echo "$stamp" > "$BIN/.stamp-kubernetes"
echo "pulumi-resource-kubernetes build: $PROVIDER_VERSION in $(( $(date +%s) - start )) s -> $PLUGIN" >&2
