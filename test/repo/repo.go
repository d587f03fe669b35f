// Package repo locates the ocf-mfs checkout the tests were compiled from,
// so that they run its scripts and read its files wherever go test starts
// them. The matrix binds the checkout in at the same path, so the answer
// holds inside a release's root file system too.
package repo

import (
	"path/filepath"
	"runtime"
)

// Root is the checkout's top folder: this file's, two levels up.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
