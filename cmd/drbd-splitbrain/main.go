// Command drbd-splitbrain shows DRBD split brains, resolves them safely one
// node at a time, and serves as DRBD's split-brain and fence-peer handler.
package main

import (
	"fmt"
	"os"

	"github.com/ocf-mfs/ocf-mfs/internal/splitbraincli"
	"github.com/ocf-mfs/ocf-mfs/internal/version"
)

func main() {
	app := splitbraincli.NewApp(splitbraincli.System(), version.Version, os.Stdout, os.Stderr)
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "drbd-splitbrain:", err)
		os.Exit(1)
	}
}
