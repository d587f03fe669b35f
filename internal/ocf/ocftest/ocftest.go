// Package ocftest holds test helpers for ocf-mfs agents: meta-data
// validation with both schemas an agent's users will meet.
package ocftest

import (
	"bytes"
	_ "embed"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// DTD is the OCF resource agent DTD that ocf-tester validates against.
//
//go:embed ra-api-1.dtd
var DTD []byte

// RNG is the OCF 1.1 RELAX NG schema that pcs validates against.
//
//go:embed ra-api-1.1.rng
var RNG []byte

// ValidateMetadata returns the complaints of xmllint about doc, checked the
// way ocf-tester does (`xmllint --noout --valid -`, which resolves the
// DOCTYPE's SYSTEM id against the working directory) and against the OCF 1.1
// RNG. Both must pass. It returns "" when the document is valid.
func ValidateMetadata(t testing.TB, doc []byte) (complaints string) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("xmllint is missing (package libxml2-utils); make deps installs it")
		}
		t.Skip("xmllint not installed")
	}
	dir := t.TempDir()
	rng := filepath.Join(dir, "ra-api-1.1.rng")
	if err := os.WriteFile(filepath.Join(dir, "ra-api-1.dtd"), DTD, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rng, RNG, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--noout", "--valid", "-"}, {"--noout", "--relaxng", rng, "-"}} {
		cmd := exec.Command("xmllint", args...)
		cmd.Dir = dir
		cmd.Stdin = bytes.NewReader(doc)
		if out, err := cmd.CombinedOutput(); err != nil {
			complaints += string(out) + err.Error() + "\n"
		}
	}
	return complaints
}
