package mfstest

import (
	"os"
	"path/filepath"
	"testing"
)

// CopyFixture copies the captured file from into dir as to, so that a test
// can lay out a DATA_PATH or a /proc tree from real captures.
func CopyFixture(t *testing.T, from, dir, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, to), b, 0o600); err != nil {
		t.Fatal(err)
	}
}
