// Command genman writes the man pages of ocf-mfs, for the packages:
//
//	ocf-mfsmaster meta-data | genman ocf -provider mfs -version V > ocf_mfs_master.7
//	genman drbd-splitbrain -version V > drbd-splitbrain.8
//
// Agent pages come from the meta-data XML the built agent prints; the
// drbd-splitbrain page from its command line definition. The date on the
// pages is SOURCE_DATE_EPOCH's, if set, so that builds are reproducible.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/manpage"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
	"github.com/ocf-mfs/ocf-mfs/internal/splitbraincli"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "genman:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: genman ocf|drbd-splitbrain [-provider P] -version V")
	}
	fs := flag.NewFlagSet("genman "+args[0], flag.ContinueOnError)
	provider := fs.String("provider", "mfs", "OCF provider of the agent")
	version := fs.String("version", "dev", "ocf-mfs version shown on the page")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "ocf":
		data, err := io.ReadAll(stdin)
		if err != nil {
			return err
		}
		m, err := ocf.ParseXML(data)
		if err != nil {
			return err
		}
		_, err = stdout.Write(manpage.OCF(m, *provider, *version, date()))
		return err
	case "drbd-splitbrain":
		page, err := splitbraincli.NewApp(splitbraincli.Deps{}, *version, io.Discard, io.Discard).ToMan()
		if err != nil {
			return err
		}
		_, err = io.WriteString(stdout, page)
		return err
	}
	return fmt.Errorf("unknown page kind %q", args[0])
}

func date() string {
	if s, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		return time.Unix(s, 0).UTC().Format("2006-01-02")
	}
	return ""
}
