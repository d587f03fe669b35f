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
	simulate(a)
	os.Exit(ocf.Main(a, ocf.OS()))
}
