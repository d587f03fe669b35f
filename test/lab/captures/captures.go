// Package captures gives tests the lab's real DRBD and Pacemaker output
// (README.md in this directory says how and when each file was taken) by
// its file name, so that every package replays the same bytes and none
// keeps a copy under another name or climbs the tree to find them.
//
// Only tests import it: the files are embedded in the test binary, never in
// the agents.
package captures

import (
	"embed"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

//go:embed *.txt
var files embed.FS

// Bytes returns the capture named name, e.g.
// "split-brain.node1.proc-drbd.txt". The error wraps fs.ErrNotExist when
// there is no such capture.
func Bytes(name string) ([]byte, error) {
	return files.ReadFile(name)
}

// Read returns the capture named name as a string; when there is none it
// stops the test with t.Fatalf.
func Read(t testing.TB, name string) string {
	t.Helper()
	b, err := Bytes(name)
	if err != nil {
		t.Fatalf("capture: %v", err)
	}
	return string(b)
}

// File writes the capture named name into a directory of t's and returns
// its path, for code under test that opens a file itself (/proc/drbd,
// --proc-drbd). It stops the test with t.Fatalf when there is no such
// capture or it cannot be written.
func File(t testing.TB, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(Read(t, name)), 0o644); err != nil {
		t.Fatalf("capture: %v", err)
	}
	return path
}

// Names returns the names of the captures that match pattern (path.Match
// syntax, e.g. "*.proc-drbd.txt"), sorted; none is not an error. The error
// is path.ErrBadPattern for a malformed pattern.
func Names(pattern string) ([]string, error) {
	return fs.Glob(files, pattern)
}
