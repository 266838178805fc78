// Wrapper module that builds the pulumi-kubernetes resource provider plugin
// (pulumi-resource-kubernetes) from the Go module proxy.
// - The proxy serves github.com/pulumi/pulumi-kubernetes/provider/v4 only at this
//   pseudo-version (tagged versions answer 403 "not available").
// - Its go.mod replaces sdk/v4 with the monorepo path ../sdk; required here at v4.29.0 instead.
// - pulumi/pkg/v3 and pulumi/sdk/v3 are pinned at v3.215.0 (the provider's own requirement;
//   newer versions change interfaces it implements).
// - Its command embeds schema-embed.json / terraform-mapping-embed.json, which `go generate`
//   writes and the module zip does not carry: main.go here is the same three-line main, and
//   build.sh writes the two files from the module's schema.json / terraform-mapping.json.
module somastack.local/harness/pulumi-resource-kubernetes

go 1.25.0

require (
	github.com/pulumi/pulumi-kubernetes/provider/v4 v4.0.0-20260115033456-f47bc2d6f199
	github.com/pulumi/pulumi-kubernetes/sdk/v4 v4.29.0
	github.com/pulumi/pulumi/pkg/v3 v3.215.0
	github.com/pulumi/pulumi/sdk/v3 v3.215.0
)
