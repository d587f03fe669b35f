//go:build simdrbd

package main

import (
	"os"

	"github.com/ocf-mfs/ocf-mfs/internal/agent/drbd"
)

// simulate lets the ocf-tester suite run the agent against a simulated
// DRBD on a machine without the kernel module: only a build with the
// simdrbd tag (test/ocf-tester builds one) reads its state from the file
// OCF_MFS_PROC_DRBD names.
func simulate(a *drbd.Agent) {
	if p := os.Getenv("OCF_MFS_PROC_DRBD"); p != "" {
		a.ProcDrbd = p
	}
}
