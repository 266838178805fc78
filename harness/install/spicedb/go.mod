// Wrapper module that builds the SpiceDB server from the Go module proxy.
// github.com/authzed/spicedb's go.mod carries a replace directive, so
// `go install github.com/authzed/spicedb/cmd/spicedb@VERSION` is refused; a main
// module that requires it and copies its replace directives builds it instead.
// Pinned: the proxy serves only this pseudo-version of 1.56.1 (no release tag).
module somastack.local/harness/spicedb

go 1.26.5

require github.com/authzed/spicedb v1.56.1-0.20260807003957-bb9e61b5f956

// Copied from github.com/authzed/spicedb's go.mod at the version above.
replace github.com/fsnotify/fsnotify => github.com/fsnotify/fsnotify v1.9.0
