//go:build tools

// Package tools records the dependency on the SpiceDB command so that `go mod tidy`
// keeps it; the harness builds it with `go build github.com/authzed/spicedb/cmd/spicedb`.
package tools

import _ "github.com/authzed/spicedb/cmd/spicedb"
