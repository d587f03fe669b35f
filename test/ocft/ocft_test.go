//go:build integration

// Package ocft runs resource-agents' ocft on ocf:mfs:master with the
// cases in this directory (see run.sh).
package ocft

import (
	"os"
	"os/exec"
	"testing"
)

func TestOcftMaster(t *testing.T) {
	for _, p := range []string{"ocft", "mfsmaster"} {
		if _, err := exec.LookPath(p); err != nil || os.Getuid() != 0 {
			if os.Getenv("CI") != "" {
				t.Fatalf("ocft cases need root, ocft and mfsmaster (%s: %v)", p, err)
			}
			t.Skipf("ocft cases need root, ocft and mfsmaster (%s: %v)", p, err)
		}
	}
	out, err := exec.Command("./run.sh").CombinedOutput()
	if err != nil {
		t.Fatalf("ocft: %v\n%s", err, out)
	}
}
