// Wrapper module that builds the etcd server v3.6.16 from the Go module proxy: the etcd
// command's own module (go.etcd.io/etcd/v3) is not meant to be `go install`ed, so this main
// package calls go.etcd.io/etcd/server/v3/etcdmain.Main like etcd's main does.
module somastack.local/harness/etcd

go 1.25.0

require go.etcd.io/etcd/server/v3 v3.6.16
