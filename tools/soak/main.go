// Command soak runs ocf-mfs's soak test (make soak): rounds of random
// faults against the two-VM DRBD lab while a client writes through the
// VIP, with every acknowledged write checked after each round.
//
//	soak run -rounds N -seed S [-faults LIST] [-fencing] [-o docs/benchmarks.md]
//	                         on the host, against a lab whose stack is up (test/soak/soak.sh)
//	soak client -dir D -name N -record F
//	                         in a guest: write, fsync, record acknowledged writes
//	soak verify -dir D -record F
//	                         in a guest: read back every acknowledged write in F
//
// run exits 0 when every round ran, no acknowledged write was lost and no
// round needed a human; 1 otherwise; 2 on bad arguments.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: soak run|client|verify [flags]")
		return 2
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdout, stderr)
	case "client":
		return cmdClient(args[1:], stderr)
	case "verify":
		return cmdVerify(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "soak: unknown command %q (run, client, verify)\n", args[0])
	return 2
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rounds := fs.Int("rounds", 30, "rounds, one fault each")
	seed := fs.Int64("seed", 0, "seed of the fault schedule (0: from the clock, printed)")
	faults := fs.String("faults", "all", "comma-separated fault kinds")
	fencing := fs.Bool("fencing", false, "the lab has SBD fencing (LAB_SBD=1): allows the partition fault")
	out := fs.String("o", "", "Markdown file to write the table into (between soak markers)")
	labSh := fs.String("lab", "test/lab/lab.sh", "lab.sh")
	bin := fs.String("bin", "", "this program's path as the guests see it (default: its own)")
	settle := fs.Duration("settle", 7*time.Minute, "how long a round may take to settle")
	warmup := fs.Duration("warmup", 5*time.Second, "client writes before each fault")
	fenceWait := fs.Duration("fence-wait", 45*time.Second, "after a partition's first fencing, how long a second one could follow (SBD msgwait and a margin)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	kinds, err := ParseFaults(*faults, *fencing)
	if err != nil {
		fmt.Fprintln(stderr, "soak:", err)
		return 2
	}
	if *seed == 0 {
		*seed = time.Now().UnixNano() % 1000000
	}
	self := *bin
	if self == "" {
		if self, err = os.Executable(); err != nil {
			fmt.Fprintln(stderr, "soak:", err)
			return 2
		}
	}
	labDir := os.Getenv("LAB")
	if labDir == "" {
		labDir = "/tmp/ocf-mfs-lab"
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "[%s] %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, a...))
	}
	d := &Driver{Lab: &Lab{Script: *labSh, Dir: labDir, Log: logf}, Bin: self, Fencing: *fencing,
		Settle: *settle, Warmup: *warmup, FenceWait: *fenceWait, Log: logf}
	steps := Schedule(*seed, *rounds, kinds)
	logf("soak: seed %d, %d rounds: %v", *seed, len(steps), steps)
	sum := Summary{Seed: *seed, Planned: len(steps), Fencing: *fencing, Date: time.Now()}
	for _, st := range steps {
		t := time.Now()
		r := d.Round(st)
		sum.Rounds = append(sum.Rounds, r)
		logf("round %d took %.0fs", st.Round, time.Since(t).Seconds())
		if r.Human != "" || r.Lost > 0 {
			logf("round %d needs a human or lost writes: stopping (repeat with -seed %d)", st.Round, *seed)
			break
		}
	}
	fmt.Fprint(stdout, sum.Table())
	if *out != "" {
		if err := WriteReport(*out, sum); err != nil {
			fmt.Fprintln(stderr, "soak:", err)
			return 1
		}
	}
	if !sum.OK() {
		return 1
	}
	return 0
}

func cmdClient(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "directory on the mount")
	name := fs.String("name", "c", "file name prefix, unique per client")
	record := fs.String("record", "", "where acknowledged writes are recorded")
	if err := fs.Parse(args); err != nil || *dir == "" || *record == "" {
		fmt.Fprintln(stderr, "soak client: -dir and -record are required")
		return 2
	}
	f, err := os.OpenFile(*record, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(stderr, "soak client:", err)
		return 1
	}
	defer f.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	c := &Client{Dir: *dir, Name: filepath.Base(*name), Record: f, Rand: rand.New(rand.NewSource(time.Now().UnixNano())),
		Pause: 200 * time.Millisecond, MaxFile: 256 << 10, MaxChunk: 4096, Now: time.Now, Sleep: time.Sleep}
	if err := c.Run(ctx); err != nil {
		fmt.Fprintln(stderr, "soak client:", err)
		return 1
	}
	return 0
}

func cmdVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "directory on the mount")
	record := fs.String("record", "", "the clients' records")
	if err := fs.Parse(args); err != nil || *dir == "" || *record == "" {
		fmt.Fprintln(stderr, "soak verify: -dir and -record are required")
		return 2
	}
	f, err := os.Open(*record)
	if err != nil {
		fmt.Fprintln(stderr, "soak verify:", err)
		return 2
	}
	defer f.Close()
	l, err := ParseLog(f)
	if err != nil {
		fmt.Fprintln(stderr, "soak verify:", err)
		return 2
	}
	lost := Verify(*dir, l.Acks)
	for i, x := range lost {
		if i == 20 {
			fmt.Fprintf(stdout, "... %d more\n", len(lost)-20)
			break
		}
		fmt.Fprintf(stdout, "lost %s %d+%d: %s\n", x.Ack.Path, x.Ack.Offset, x.Ack.Length, x.Reason)
	}
	fmt.Fprintf(stdout, "checked %d, lost %d\n", len(l.Acks), len(lost))
	if len(lost) > 0 {
		return 1
	}
	return 0
}
