// Command ocf-mfsdrbd is the OCF resource agent ocf:mfs:drbd, installed as
// /usr/lib/ocf/resource.d/mfs/drbd.
package main

import (
	"os"

	"github.com/ocf-mfs/ocf-mfs/internal/agent/drbd"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
)

func main() {
	a := drbd.New()
	// A simulated DRBD (the ocf-tester suite on a machine without the
	// kernel module) publishes its state elsewhere.
	if p := os.Getenv("OCF_MFS_PROC_DRBD"); p != "" {
		a.ProcDrbd = p
	}
	os.Exit(ocf.Main(a, ocf.OS()))
}
