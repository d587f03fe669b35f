// Command ocf-mfsmaster is the OCF resource agent ocf:mfs:master, installed
// as /usr/lib/ocf/resource.d/mfs/master.
package main

import (
	"os"

	"github.com/ocf-mfs/ocf-mfs/internal/agent/master"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
)

func main() { os.Exit(ocf.Main(master.New(), ocf.OS())) }
