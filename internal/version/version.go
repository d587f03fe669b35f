// Package version holds the version of ocf-mfs, stamped at build time with
// -ldflags "-X github.com/ocf-mfs/ocf-mfs/internal/version.Version=...".
package version

// Version is "dev" in a plain `go build`; release builds stamp `git describe`.
var Version = "dev"
