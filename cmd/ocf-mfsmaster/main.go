// Command ocf-mfsmaster is the OCF resource agent ocf:mfs:master, installed
// as /usr/lib/ocf/resource.d/mfs/master. It is the agent's front: it answers
// the depth-0 monitor of a master that serves, and execs
// ocf-mfsmaster-actions for everything else (see internal/agent/master/front).
package main

import (
	"os"

	"github.com/ocf-mfs/ocf-mfs/internal/agent/master/front"
)

func main() { os.Exit(front.OS().Run(os.Args)) }
