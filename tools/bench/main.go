// Command bench measures ocf-mfs against what its users run today and
// writes docs/benchmarks.md (make bench). Every comparison runs both sides
// in the same run, on the same machine, interleaved, and is reported as a
// ratio:
//
//   - ocf:mfs:master's monitor against the tutorial's LSB status and its
//     cron watchdog's check, on a real mfsmaster;
//   - recovery from kill -9: the agent's start (mfsmaster -a) against what
//     the tutorial's watchdog runs (its LSB start);
//   - ocf:mfs:drbd's monitor against ocf:linbit:drbd's, on the same lab node
//     and real DRBD resource (with -lab; boots the two-VM lab);
//   - the /proc/drbd parser (go test -bench), and the e2e suite's timings
//     from the last make e2e.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var (
	out     = flag.String("o", "docs/benchmarks.md", "report to write")
	n       = flag.Int("n", 100, "runs of each monitor")
	withLab = flag.Bool("lab", false, "also compare the DRBD agents in the two-VM lab")
	labN    = flag.Int("lab-n", 30, "monitors of each DRBD agent in the lab")
)

var timelineOf = flag.String("timeline", "", "only draw the waterfall of this pacemaker.log, next to the report, and exit")

func main() {
	flag.Parse()
	run := run
	if *timelineOf != "" {
		run = drawTimeline
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// sample is the cost of one command: wall time and CPU of it and its
// children. What it forks is counted apart, under strace (countProcs).
type sample struct {
	wall, cpu time.Duration
	code      int
}

func measure(env []string, argv ...string) sample {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	t0 := time.Now()
	err := cmd.Run()
	s := sample{wall: time.Since(t0)}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
		s.code = cmd.ProcessState.ExitCode()
	} else if err != nil {
		s.code = -1
	}
	return s
}

type stats struct {
	name             string
	wallMed, wallAvg time.Duration
	cpuAvg           time.Duration
	procs, execs     int // from one traced run
	codes            string
}

func summarize(name string, ss []sample) stats {
	st := stats{name: name}
	walls := make([]time.Duration, len(ss))
	codes := map[int]int{}
	var wsum, csum time.Duration
	for i, s := range ss {
		walls[i] = s.wall
		wsum += s.wall
		csum += s.cpu
		codes[s.code]++
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	st.wallMed = walls[len(walls)/2]
	st.wallAvg = wsum / time.Duration(len(ss))
	st.cpuAvg = csum / time.Duration(len(ss))
	var cs []string
	for c, k := range codes {
		cs = append(cs, fmt.Sprintf("%d×%d", k, c))
	}
	sort.Strings(cs)
	st.codes = strings.Join(cs, " ")
	return st
}

// The markers around make soak's section of docs/benchmarks.md
// (tools/soak).
const soakBegin, soakEnd = "<!-- soak:begin -->", "<!-- soak:end -->"

// soakSection is doc's soak block, markers included; nil when doc has no
// pair of markers in order.
func soakSection(doc []byte) []byte { return block(doc, soakBegin, soakEnd) }

// block is what lies between begin and end in doc, markers included; nil
// when doc has no pair of them in order.
func block(doc []byte, begin, end string) []byte {
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		return nil
	}
	return doc[i : j+len(end)]
}

// The lab's part of the report (-lab: the DRBD agents side by side, the
// failovers and their timelines) lies between these markers.
const labBegin, labEnd = "<!-- lab:begin -->", "<!-- lab:end -->"

// unmeasuredLab is what a run without the lab reports of it: the lab block
// of the report it replaces, whose figures a run of twenty minutes in the
// lab measured and this one cannot, or else how to measure them.
func unmeasuredLab(old []byte) string {
	if b := block(old, labBegin, labEnd); b != nil {
		return string(b)
	}
	return "## ocf:mfs:drbd against ocf:linbit:drbd\n\nNot measured in this run: `make bench BENCH_LAB=1` boots the two-VM lab for it.\n"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// less says how the alternative b compares with ours, a: "3.0× less"
// when ours is cheaper, "1.5× more" when it is not.
func less(a, b float64) string {
	switch {
	case a == 0 && b == 0:
		return "the same (none)"
	case a == 0:
		return "none against " + strconv.FormatFloat(b, 'f', 1, 64)
	case b >= a:
		return fmt.Sprintf("%.1f× less", b/a)
	}
	return fmt.Sprintf("%.1f× more", a/b)
}

func ratio(a, b float64) string {
	if a == 0 {
		return "∞"
	}
	return fmt.Sprintf("%.1f×", b/a)
}

type report struct {
	bytes.Buffer
	charts []group
}

func (r *report) p(format string, a ...any) { fmt.Fprintf(&r.Buffer, format+"\n", a...) }

func run() error {
	repo, err := os.Getwd()
	if err != nil {
		return err
	}
	bin := filepath.Join(repo, "bin")
	r := &report{}
	r.p("# ocf-mfs benchmarks")
	r.p("")
	r.p("Written by `make bench` (tools/bench) on %s, %s, %d CPUs. Each comparison ran both", time.Now().UTC().Format("2006-01-02"), hostKernel(), numCPU())
	r.p("sides in the same run, interleaved; ratios say how much the alternative costs next to ocf-mfs.")
	r.p("")
	r.p("![the comparisons as bars, ocf-mfs first](%s)", strings.TrimSuffix(filepath.Base(*out), filepath.Ext(*out))+".svg")
	r.p("")
	if err := benchMaster(r, bin); err != nil {
		return fmt.Errorf("mfsmaster benchmarks: %w", err)
	}
	if !*skipPacemaker {
		if err := benchRecovery(r, repo); err != nil {
			return fmt.Errorf("recovery benchmark: %w", err)
		}
	}
	if err := benchMetadata(r, bin); err != nil {
		return fmt.Errorf("metadata size benchmark: %w", err)
	}
	r.p("%s", findings)
	if err := benchParser(r, repo); err != nil {
		return fmt.Errorf("parser benchmark: %w", err)
	}
	if *withLab {
		r.p("%s", labBegin)
		r.p("_Measured by `make bench BENCH_LAB=1` on %s; a run without the lab carries this part over._", time.Now().UTC().Format("2006-01-02"))
		r.p("")
		if err := benchDrbdLab(r, repo); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		r.p("%s", labEnd)
		r.p("")
	}
	// The report this run replaces (none on a first run): what this run
	// does not measure is carried over from it.
	old, _ := os.ReadFile(*out)
	if !*withLab {
		r.p("%s", unmeasuredLab(old))
		r.p("")
	}
	if kept := keptSections(bytes.NewReader(old)); kept != "" {
		r.p("%s", kept)
	}
	e2eTimings(r, repo)
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	svg := strings.TrimSuffix(*out, filepath.Ext(*out)) + ".svg"
	if err := os.WriteFile(svg, []byte(svgChart(r.charts)), 0o644); err != nil {
		return err
	}
	// make soak's section is measured by its own run (hours in the lab):
	// carry it over rather than lose it.
	if soak := soakSection(old); soak != nil {
		r.p("%s", soak)
	}
	if err := os.WriteFile(*out, r.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Print(r.String())
	return nil
}

func hostKernel() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return "Linux " + strings.TrimSpace(string(b))
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}

func freePorts(k int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for i := 0; i < k; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// loopbackMaster writes an mfsmaster config in dir for a master on
// loopback, on free ports, with DATA_PATH dir/data seeded from the empty
// metadata moosefs-master ships.
func loopbackMaster(dir string) (cfg, data string, clientPort int, err error) {
	data = filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		return "", "", 0, err
	}
	empty, err := os.ReadFile("/var/lib/mfs/metadata.mfs.empty")
	if err != nil {
		return "", "", 0, fmt.Errorf("moosefs-master is not installed: %w", err)
	}
	if err := os.WriteFile(filepath.Join(data, "metadata.mfs"), empty, 0o644); err != nil {
		return "", "", 0, err
	}
	if err := os.WriteFile(filepath.Join(dir, "exports.cfg"), []byte("* / rw,alldirs,maproot=0\n"), 0o644); err != nil {
		return "", "", 0, err
	}
	p, err := freePorts(3)
	if err != nil {
		return "", "", 0, err
	}
	cfg = filepath.Join(dir, "mfsmaster.cfg")
	err = os.WriteFile(cfg, []byte(fmt.Sprintf("WORKING_USER = root\nDATA_PATH = %s\nEXPORTS_FILENAME = %s/exports.cfg\n"+
		"MATOML_LISTEN_HOST = 127.0.0.1\nMATOML_LISTEN_PORT = %d\nMATOCS_LISTEN_HOST = 127.0.0.1\nMATOCS_LISTEN_PORT = %d\n"+
		"MATOCL_LISTEN_HOST = 127.0.0.1\nMATOCL_LISTEN_PORT = %d\n", data, dir, p[0], p[1], p[2])), 0o644)
	return cfg, data, p[2], err
}

// lsbScript is the tutorial's init script, as Debian's packages would run
// it: status runs "mfsmaster test" and the script always exits 0; start
// removes the lock when nothing listens and runs "mfsmaster start". (Its
// mfscgiserv lines are left out: Debian does not package mfscgiserv.)
const lsbScript = `#!/bin/bash
CFG=%s
LOCK=%s/.mfsmaster.lock
start() {
  [[ -z $(ss -ntlp | grep mfsmaster) ]] && rm -f $LOCK
  mfsmaster -c $CFG start
}
status() { mfsmaster -c $CFG test; }
case "$1" in
start) start ;;
stop) mfsmaster -c $CFG stop ;;
status) status ;;
esac
exit 0
`

// watchdog is the check the tutorial's cron job ran every ten seconds
// (netstat there; ss here, same question), without its crm status part.
const watchdog = `ss -ntlp | grep -q mfsmaster || echo "would run: service mfsmaster start"`

func benchMaster(r *report, bin string) error {
	dir, err := os.MkdirTemp("", "ocf-mfs-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg, data, clientPort, err := loopbackMaster(dir)
	if err != nil {
		return err
	}
	lsb := filepath.Join(dir, "mfsmaster.lsb")
	if err := os.WriteFile(lsb, []byte(fmt.Sprintf(lsbScript, cfg, data)), 0o755); err != nil {
		return err
	}
	agent := filepath.Join(bin, "ocf-mfsmaster")
	env := []string{"OCF_RESKEY_config=" + cfg, "OCF_RESOURCE_INSTANCE=bench", "HA_LOGFACILITY=none",
		"OCF_RESKEY_CRM_meta_interval=10000", "OCF_RESKEY_CRM_meta_timeout=30000"}
	defer measure(env, agent, "stop")
	if s := measure(env, agent, "start"); s.code != 0 {
		return fmt.Errorf("agent start exited %d", s.code)
	}

	type side struct {
		name string
		env  []string
		argv []string
	}
	sides := []side{
		{"ocf:mfs:master monitor", env, []string{agent, "monitor"}},
		{"ocf:mfs:master monitor, OCF_CHECK_LEVEL=20", append(env, "OCF_CHECK_LEVEL=20"), []string{agent, "monitor"}},
		{"ocf:heartbeat:anything monitor (pid file)", []string{"OCF_ROOT=/usr/lib/ocf", "OCF_RESOURCE_INSTANCE=bench",
			"OCF_RESKEY_binfile=/usr/sbin/mfsmaster", "OCF_RESKEY_pidfile=" + filepath.Join(data, ".mfsmaster.lock"),
			"OCF_RESKEY_CRM_meta_interval=10000", "HA_LOGFACILITY=none"},
			[]string{"/usr/lib/ocf/resource.d/heartbeat/anything", "monitor"}},
		{"systemd-style `mfsmaster -c CFG test`", nil, []string{"mfsmaster", "-c", cfg, "test"}},
		{"tutorial LSB `status` (mfsmaster test)", nil, []string{lsb, "status"}},
		{"tutorial cron watchdog check (ss -ntlp | grep)", nil, []string{"/bin/sh", "-c", watchdog}},
	}
	// What any Go program costs to start here: the floor of the agent's own
	// monitor, built the way make build builds the agents.
	empty, err := emptyGoProgram(dir)
	if err != nil {
		return err
	}
	sides = append(sides, side{"an empty Go program (func main() {}), built like the agents", nil, []string{empty}})
	samples := make([][]sample, len(sides))
	for i := 0; i < *n; i++ {
		for j, s := range sides {
			samples[j] = append(samples[j], measure(s.env, s.argv...))
		}
	}
	var st []stats
	wall := group{title: "mfsmaster check: median wall time per call", unit: "ms"}
	cpu := group{title: "mfsmaster check: mean CPU time per call", unit: "ms"}
	for j, s := range sides {
		x := summarize(s.name, samples[j])
		if x.procs, x.execs, err = countProcs(s.env, s.argv...); err != nil {
			return fmt.Errorf("strace %s: %w", s.name, err)
		}
		st = append(st, x)
		label := strings.ReplaceAll(s.name, "`", "")
		wall.bars = append(wall.bars, bar{label, float64(x.wallMed) / 1e6})
		cpu.bars = append(cpu.bars, bar{label, float64(x.cpuAvg) / 1e6})
	}
	r.charts = append(r.charts, wall, cpu)

	r.p("## Monitoring mfsmaster: ocf:mfs:master against the tutorial's LSB script")
	r.p("")
	r.p("%d runs of each against one real mfsmaster (%s), interleaved.", *n, mfsVersion())
	r.p("")
	r.p("| check | median wall ms | mean wall ms | mean CPU ms | processes | programs run | exit codes |")
	r.p("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, s := range st {
		r.p("| %s | %s | %s | %s | %d | %d | %s |", s.name, ms(s.wallMed), ms(s.wallAvg), ms(s.cpuAvg), s.procs, s.execs, s.codes)
	}
	r.p("")
	a, l, w := st[0], st[4], st[5]
	an := st[2]
	r.p("Against the LSB status, a depth-0 monitor takes %s wall time and %s CPU, and runs as %d process against %d;",
		less(float64(a.wallMed), float64(l.wallMed)), less(float64(a.cpuAvg), float64(l.cpuAvg)), a.procs, l.procs)
	r.p("against the watchdog's check alone, %s wall time and %s CPU; against ocf:heartbeat:anything, %s wall",
		less(float64(a.wallMed), float64(w.wallMed)), less(float64(a.cpuAvg), float64(w.cpuAvg)), less(float64(a.wallMed), float64(an.wallMed)))
	r.p("time and %s CPU. Only ocf:mfs:master notices a stopped (SIGSTOP) master, and at depth 20 a hung one;",
		less(float64(a.cpuAvg), float64(an.cpuAvg)))
	r.p("the LSB status says \"running\" whatever happens.")
	r.p("Next to an empty Go program built the same way (%s), a depth-0 monitor takes %s wall time",
		ms(st[6].wallMed), less(float64(a.wallMed), float64(st[6].wallMed)))
	r.p("(the goal: at most 1.5×).")
	r.p("(\"processes\" counts the checker itself and every process it forks, threads not included, from one")
	r.p("run under strace; \"programs run\" counts its execve calls.)")
	r.p("")

	pid, err := readPID(filepath.Join(data, ".mfsmaster.lock"))
	if err != nil {
		return err
	}
	if err := benchBusyMaster(r, env, agent, empty, pid, clientPort, st[0]); err != nil {
		return err
	}

	// What each says about a dead master, and what each does about it.
	_ = syscall.Kill(pid, syscall.SIGKILL)
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	waitGone(pid)
	mon := measure(env, agent, "monitor")
	lsbStatus := measure(nil, lsb, "status")
	var lsbOut bytes.Buffer
	lsbStart := exec.Command(lsb, "start")
	lsbStart.Stdout, lsbStart.Stderr = &lsbOut, &lsbOut
	t0 := time.Now()
	_ = lsbStart.Run()
	lsbStartWall := time.Since(t0)
	lsbUp := measure(env, agent, "monitor").code == 0
	recCmd := exec.Command(agent, "start")
	recCmd.Env = append(os.Environ(), env...)
	var recOut bytes.Buffer
	recCmd.Stderr = &recOut
	t0 = time.Now()
	recErr := recCmd.Run()
	agentStart := time.Since(t0)
	rec := sample{code: recCmd.ProcessState.ExitCode()}
	if recErr != nil {
		fmt.Fprintf(os.Stderr, "bench: agent start after kill -9: %v\n%s", recErr, recOut.String())
	}
	r.p("## After kill -9 of mfsmaster")
	r.p("")
	r.p("| | tutorial (LSB script + cron watchdog) | ocf:mfs:master under Pacemaker |")
	r.p("| --- | --- | --- |")
	r.p("| what the status check returns | %d (\"running\") | %d (not running) |", lsbStatus.code, mon.code)
	r.p("| who notices | the cron watchdog, every 10 s except at :00 (mean wait 12 s, worst 20 s) | Pacemaker's monitor (interval 10 s: mean wait 5 s, worst 10 s) |")
	verdict := "the master is back"
	if !lsbUp {
		verdict = "**the master stays down**: " + firstLine(lastLines(lsbOut.String()))
	}
	r.p("| the restart | `service mfsmaster start` (%s ms): %s | agent start through `mfsmaster -a`, exit %d, %s ms |",
		ms(lsbStartWall), verdict, rec.code, ms(agentStart))
	r.p("")
	r.p("A killed mfsmaster leaves metadata.mfs.back and changelogs but no metadata.mfs, and")
	r.p("`mfsmaster start` refuses to start without `-a`: the tutorial's watchdog retries that")
	r.p("every ten seconds for ever. The real Pacemaker figures (detection and restart measured")
	r.p("end to end) are in the integration tests' and the e2e lab's timings below.")
	r.p("")
	return nil
}

// busyConns is how many client connections the busy master holds: a
// master serving a thousand mounts has a descriptor for each.
const busyConns = 1000

// benchBusyMaster measures the depth-0 monitor again while the master (pid)
// holds busyConns more client connections, beside the empty Go program and the
// same monitor of the idle master measured just before (idle). mfsmaster
// drops a connection that never registers after some seconds, so the
// rounds are few and start once it has accepted them all.
func benchBusyMaster(r *report, env []string, agent, empty string, pid, port int, idle stats) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < busyConns+100 {
		if lim.Max < busyConns+100 {
			r.p("Not measured with a busy master: this shell's open-file limit (%d) is below %d connections.", lim.Max, busyConns)
			r.p("")
			return nil
		}
		lim.Cur = busyConns + 100
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("open-file limit: %w", err)
		}
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; i < busyConns; i++ {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return fmt.Errorf("connection %d to the master: %w", i+1, err)
		}
		conns = append(conns, c)
	}
	held := func() int {
		ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		return len(ents)
	}
	for t0 := time.Now(); held() < busyConns && time.Since(t0) < 10*time.Second; {
		time.Sleep(50 * time.Millisecond)
	}
	before := held()
	var mon, emp []sample
	for i := 0; i < 30; i++ {
		mon = append(mon, measure(env, agent, "monitor"))
		emp = append(emp, measure(nil, empty))
	}
	after := held()
	m, e := summarize("busy", mon), summarize("empty", emp)
	r.p("With the master holding %d more client connections (%d descriptors before these runs, %d after), 30 runs of each:", busyConns, before, after)
	r.p("a depth-0 monitor takes %s ms against %s ms for the empty Go program (%.2f×), and %.2f× its own time on the idle master",
		ms(m.wallMed), ms(e.wallMed), float64(m.wallMed)/float64(e.wallMed), float64(m.wallMed)/float64(idle.wallMed))
	r.p("(the monitor's exit codes: %s).", m.codes)
	r.p("")
	return nil
}

func mfsVersion() string {
	b, _ := exec.Command("mfsmaster", "-v").CombinedOutput()
	return strings.TrimSpace(firstLine(string(b)))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// lastLines keeps the lines that say why mfsmaster refused to start.
func lastLines(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "metadata") || strings.Contains(l, "-a") {
			keep = append(keep, strings.TrimSpace(l))
		}
	}
	if len(keep) == 0 {
		return s
	}
	return strings.Join(keep, "; ")
}

func readPID(lock string) (int, error) {
	b, err := os.ReadFile(lock)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

func waitGone(pid int) {
	for i := 0; i < 100; i++ {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(b), ") Z ") {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+)\s+(\d+)\s+([\d.]+) ns/op.*?\s([\d.]+) B/op\s+(\d+) allocs/op`)

func benchParser(r *report, repo string) error {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "Parse", "-benchmem", "-count", "1", "./internal/drbdproc/")
	cmd.Dir = repo
	b, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, b)
	}
	r.p("## Reading DRBD's state: drbdproc against drbdadm")
	r.p("")
	r.p("ocf:mfs:drbd's monitor reads /proc/drbd in-process on DRBD 8.4. One read and parse:")
	r.p("")
	r.p("| benchmark | ns/op | B/op | allocs/op |")
	r.p("| --- | ---: | ---: | ---: |")
	for _, l := range strings.Split(string(b), "\n") {
		if m := benchLine.FindStringSubmatch(l); m != nil {
			r.p("| %s | %s | %s | %s |", m[1], m[3], m[4], m[5])
		}
	}
	// The alternative: what ocf:linbit:drbd forks for the same answer.
	if _, err := exec.LookPath("drbdadm"); err == nil {
		ss := make([]sample, 0, 20)
		for i := 0; i < 20; i++ {
			ss = append(ss, measure(nil, "drbdadm", "sh-minor", "all"))
		}
		s := summarize("drbdadm", ss)
		r.p("")
		r.p("For scale, one `drbdadm` call that only parses drbd.conf (`drbdadm sh-minor all`) takes %s ms", ms(s.wallMed))
		r.p("here; ocf:linbit:drbd's monitor makes several drbdadm calls (role, cstate, dstate), each forking drbdsetup.")
	}
	r.p("")
	return nil
}

// benchDrbdLab boots the lab, brings r0 up and syncs it, starts the cluster
// (both agents update a promotion score through it) and runs each agent's
// monitor in node1 with tools/bench/guest-drbd-monitor.sh.
func benchDrbdLab(r *report, repo string) error {
	lab := filepath.Join(repo, "test/lab/lab.sh")
	sh := func(args ...string) (string, error) {
		cmd := exec.Command(lab, args...)
		cmd.Stderr = os.Stderr
		b, err := cmd.Output()
		return string(b), err
	}
	defer sh("down")
	steps := [][]string{
		{"down"}, {"build"}, {"wipe-disks"}, {"up"},
		{"exec", "node1", "drbdadm create-md --force r0 </dev/null >/dev/null 2>&1 && drbdadm up r0"},
		{"exec", "node2", "drbdadm create-md --force r0 </dev/null >/dev/null 2>&1 && drbdadm up r0"},
		{"exec", "node1", "drbdadm primary --force r0 && s=$SECONDS; until grep -q 'ds:UpToDate/UpToDate' /proc/drbd; do ((SECONDS - s < 300)) || exit 1; sleep 1; done; drbdadm secondary r0"},
		{"cluster-start"}, {"cluster-wait", "300"},
	}
	for _, s := range steps {
		if _, err := sh(s...); err != nil {
			return fmt.Errorf("lab %s: %w", strings.Join(s, " "), err)
		}
	}
	script := filepath.Join(repo, "tools/bench/guest-drbd-monitor.sh")
	type res struct {
		name               string
		wall, cpu          float64 // ms per monitor
		forks, calls, wrts float64 // per monitor
		execs              float64
		codes              string
	}
	parse := func(name, line string) (res, error) {
		kv := keyValues(line)
		num := func(k string) float64 { f, _ := strconv.ParseFloat(kv[k], 64); return f }
		cnt := num("n")
		if cnt == 0 {
			return res{}, fmt.Errorf("no result from %s: %q", name, line)
		}
		cpu := bashTime(kv["cpu_user"]) + bashTime(kv["cpu_sys"]) - bashTime(kv["cpu0_user"]) - bashTime(kv["cpu0_sys"])
		return res{name: name, wall: num("wall_ns") / 1e6 / cnt, cpu: float64(cpu) / 1e6 / cnt,
			calls: num("attr_calls") / cnt, wrts: num("attr_writes") / cnt, codes: kv["codes"]}, nil
	}
	var results []res
	// Two rounds, alternating, so that neither agent always runs on a
	// colder or busier guest.
	for round := 0; round < 2; round++ {
		for _, a := range []struct{ name, path, inst string }{
			{"ocf:mfs:drbd", "/usr/lib/ocf/resource.d/mfs/drbd", "bench_mfs"},
			{"ocf:linbit:drbd", "/usr/lib/ocf/resource.d/linbit/drbd", "bench_linbit"},
		} {
			o, err := sh("exec", "node1", fmt.Sprintf("STRACE_ARGS='%s' %s %s %s %d", strings.Join(straceArgs, " "), script, a.path, a.inst, *labN))
			if err != nil {
				return fmt.Errorf("%s monitors: %w", a.name, err)
			}
			x, err := parse(a.name, lastLine(o))
			if err != nil {
				return err
			}
			var trace strings.Builder
			for _, l := range strings.Split(o, "\n") {
				if t, ok := strings.CutPrefix(l, "TRACE "); ok {
					trace.WriteString(t + "\n")
				}
			}
			procs, execs, err := countTrace(strings.NewReader(trace.String()))
			if err != nil {
				return fmt.Errorf("%s trace: %w", a.name, err)
			}
			x.forks, x.execs = float64(procs), float64(execs)
			results = append(results, x)
		}
	}
	merged := map[string]res{}
	order := []string{}
	for _, x := range results {
		m, ok := merged[x.name]
		if !ok {
			order = append(order, x.name)
			merged[x.name] = x
			continue
		}
		m.wall, m.cpu = (m.wall+x.wall)/2, (m.cpu+x.cpu)/2
		m.forks, m.execs = (m.forks+x.forks)/2, (m.execs+x.execs)/2
		m.calls, m.wrts = (m.calls+x.calls)/2, (m.wrts+x.wrts)/2
		m.codes += " " + x.codes
		merged[x.name] = m
	}
	r.p("## ocf:mfs:drbd against ocf:linbit:drbd")
	r.p("")
	r.p("%d monitors of each agent, twice, alternating, on lab node1 (DRBD 8.4 under qemu TCG, one vCPU) with", *labN)
	r.p("r0 connected and UpToDate/UpToDate and the cluster running. Per monitor:")
	r.p("")
	r.p("| agent | wall ms | CPU ms | processes | programs run | attribute tool calls | of which writes | calls per hour at a 10 s interval | exit codes |")
	r.p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, name := range order {
		m := merged[name]
		perHour := m.calls * 360
		note := fmt.Sprintf("%.0f", perHour)
		if name == "ocf:mfs:drbd" {
			// Steady state makes no call; the score is re-read every five minutes.
			perHour += 12
			note = fmt.Sprintf("%.0f (re-reads the score every 5 min)", perHour)
		}
		r.p("| %s | %.1f | %.1f | %.0f | %.0f | %.2f | %.2f | %s | %s |", name, m.wall, m.cpu, m.forks, m.execs, m.calls, m.wrts, note, strings.TrimSpace(m.codes))
	}
	r.charts = append(r.charts,
		group{title: "DRBD agent monitor in the lab: wall time", unit: "ms",
			bars: []bar{{"ocf:mfs:drbd", merged["ocf:mfs:drbd"].wall}, {"ocf:linbit:drbd", merged["ocf:linbit:drbd"].wall}}},
		group{title: "DRBD agent monitor in the lab: processes started", unit: "",
			bars: []bar{{"ocf:mfs:drbd", merged["ocf:mfs:drbd"].forks}, {"ocf:linbit:drbd", merged["ocf:linbit:drbd"].forks}}})
	if a, b := merged["ocf:mfs:drbd"], merged["ocf:linbit:drbd"]; a.name != "" && b.name != "" {
		r.p("")
		r.p("ocf:linbit:drbd costs %s the wall time, %s the CPU and %s the processes of ocf:mfs:drbd per monitor.",
			ratio(a.wall, b.wall), ratio(a.cpu, b.cpu), ratio(a.forks, b.forks))
		r.p("Neither writes the CIB in steady state (both compare before writing), but linbit's asks the")
		r.p("attribute daemon on every monitor; ocf:mfs:drbd remembers what it wrote.")
	}
	r.p("")
	return benchStackFailover(r, repo)
}

// benchStackFailover runs tools/bench/lab-stack.sh on the lab benchDrbdLab
// left up: the tutorial's whole stack with our agents, then with what the
// tutorial runs, each failed over by standby and by a crash of its node.
// The tutorial's goes second because its crash leaves no master behind.
func benchStackFailover(r *report, repo string) error {
	script := filepath.Join(repo, "tools/bench/lab-stack.sh")
	type key struct{ stack, event string }
	secs := map[key]float64{}
	ok := map[key]bool{}
	var notes []string
	limit := "?"
	logs := stackLogsDir()
	if err := os.RemoveAll(logs); err != nil {
		return err
	}
	for _, stack := range []string{"prepare", "ours", "tutorial"} {
		cmd := exec.Command(script, stack)
		cmd.Env = append(os.Environ(), "BENCH_TIMELINES="+logs)
		cmd.Stderr = os.Stderr
		b, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("lab-stack.sh %s: %w: %s", stack, err, b)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if rest, found := strings.CutPrefix(l, "RESULT "); found {
				kv := keyValues(rest)
				k := key{kv["stack"], kv["event"]}
				secs[k], _ = strconv.ParseFloat(kv["seconds"], 64)
				ok[k] = kv["recovered"] == "yes"
				limit = kv["limit"]
			} else if strings.Contains(l, " after crash: ") {
				notes = append(notes, strings.TrimSpace(l))
			}
		}
	}
	cell := func(k key) string {
		if _, seen := secs[k]; !seen {
			return "not measured"
		}
		if !ok[k] {
			return fmt.Sprintf("no answer after %.0f s", secs[k])
		}
		return fmt.Sprintf("%.1f", secs[k])
	}
	r.p("## The whole stack: failover, ours against the tutorial's")
	r.p("")
	r.p("The tutorial's stack in the lab (promotable DRBD, Filesystem on /data, the master, the VIP, its")
	r.p("constraints and stickiness), once with ocf:mfs:drbd and ocf:mfs:master, once with ocf:linbit:drbd, the")
	r.p("tutorial's LSB script (`status` always 0) and its watchdog run every 10 s as its cron table does.")
	r.p("Seconds from `crm node standby` (or qemu quitting on the active node) until a client on the survivor")
	r.p("gets an answer from mfsmaster through the VIP; one run each, waiting at most %s s.", limit)
	r.p("")
	r.p("| event | ocf:mfs:drbd + ocf:mfs:master | ocf:linbit:drbd + LSB + cron | ratio |")
	r.p("| --- | ---: | ---: | ---: |")
	var bars []bar
	for _, ev := range []string{"standby_failover", "crash_takeover"} {
		o, t := key{"ours", ev}, key{"tutorial", ev}
		rt := "—"
		if ok[o] && ok[t] {
			rt = ratio(secs[o], secs[t])
		} else if ok[o] {
			rt = "never recovered"
		}
		r.p("| %s | %s | %s | %s |", strings.ReplaceAll(ev, "_", " "), cell(o), cell(t), rt)
		if ok[o] {
			bars = append(bars, bar{"ours: " + strings.ReplaceAll(ev, "_", " "), secs[o]})
		}
		if ok[t] {
			bars = append(bars, bar{"tutorial: " + strings.ReplaceAll(ev, "_", " "), secs[t]})
		}
	}
	r.charts = append(r.charts, group{title: "Whole-stack failover in the lab (seconds, recovered only)", unit: "s", bars: bars})
	r.p("")
	r.p("%s", stackGoals(secs[key{"ours", "standby_failover"}], ok[key{"ours", "standby_failover"}],
		secs[key{"ours", "crash_takeover"}], ok[key{"ours", "crash_takeover"}],
		secs[key{"tutorial", "standby_failover"}], ok[key{"tutorial", "standby_failover"}]))
	if len(notes) > 0 {
		r.p("")
		r.p("What Pacemaker reported on the survivor after each crash:")
		r.p("")
		r.p("```")
		for _, n := range notes {
			r.p("%s", n)
		}
		r.p("```")
	}
	r.p("")
	r.p("After a crash the master left no metadata.mfs: ocf:mfs:master starts it with `-a`; the LSB script")
	r.p("runs `mfsmaster start`, which refuses, exits 0 all the same, and its `status` keeps saying running.")
	r.p("")
	served := func(stack, event string) (float64, bool) {
		k := key{stack, event}
		return secs[k], ok[k]
	}
	return stackTimelines(r, logs, served)
}

// bashTime reads bash's `times` format, 0m1.234s.
func bashTime(s string) time.Duration {
	m, sec, ok := strings.Cut(strings.TrimSuffix(s, "s"), "m")
	if !ok {
		return 0
	}
	mi, _ := strconv.Atoi(m)
	f, _ := strconv.ParseFloat(sec, 64)
	return time.Duration(mi)*time.Minute + time.Duration(f*float64(time.Second))
}

// keyValues reads the "key=value key=value" lines that the lab's scripts
// print (TIMING, RESULT, the monitor totals).
func keyValues(line string) map[string]string {
	kv := map[string]string{}
	for _, f := range strings.Fields(line) {
		k, v, _ := strings.Cut(f, "=")
		kv[k] = v
	}
	return kv
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// e2eTimings copies the TIMING lines of the last make e2e run.
func e2eTimings(r *report, repo string) {
	b, err := os.ReadFile(filepath.Join(repo, "test/e2e/artifacts/timings.txt"))
	r.p("## End-to-end timings (last `make e2e`)")
	r.p("")
	if errors.Is(err, os.ErrNotExist) || len(b) == 0 {
		r.p("No e2e run found (test/e2e/artifacts/timings.txt): run `make e2e` first.")
		r.p("")
		return
	}
	r.p("Seconds, in the two-VM lab under qemu TCG (so several times slower than on hardware):")
	r.p("")
	r.p("| scenario | step | seconds |")
	r.p("| --- | --- | ---: |")
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		kv := keyValues(l)
		if kv["name"] == "e2e_total" {
			kv["scenario"] = "all, from nothing"
		}
		if kv["name"] != "" {
			r.p("| %s | %s | %s |", kv["scenario"], kv["name"], kv["seconds"])
		}
	}
	r.p("")
}

// emptyGoProgram builds `func main() {}` in dir with the flags make build
// gives the agents, and returns its path.
func emptyGoProgram(dir string) (string, error) {
	src := filepath.Join(dir, "empty")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module empty\n\ngo 1.21\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(src, "empty")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build an empty Go program: %v: %s", err, out)
	}
	return bin, nil
}
