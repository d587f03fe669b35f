// Command ocf-mfsmaster-actions is the full ocf:mfs:master agent: every
// action, through the OCF dispatcher. Pacemaker runs the front,
// ocf-mfsmaster, which execs this program for everything but the depth-0
// monitor of a master that serves; it is installed as
// /usr/libexec/ocf-mfs/ocf-mfsmaster-actions.
package main

import (
	"os"

	"github.com/ocf-mfs/ocf-mfs/internal/agent/master"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
)

func main() { os.Exit(ocf.Main(master.New(), ocf.OS())) }
