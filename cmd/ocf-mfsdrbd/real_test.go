//go:build !simdrbd

package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ocf-mfs/ocf-mfs/internal/agent/drbd"
)

// The agent users install must read the kernel's /proc/drbd whatever its
// environment says; only the simdrbd build of the ocf-tester suite may not.
func TestInstalledAgentReadsOnlyTheKernelsProcDrbd(t *testing.T) {
	t.Setenv("OCF_MFS_PROC_DRBD", t.TempDir()+"/proc_drbd")
	a := drbd.New()
	want := a.ProcDrbd
	simulate(a)
	assert.Equal(t, want, a.ProcDrbd)
	assert.Equal(t, "/proc/drbd", a.ProcDrbd)
}
