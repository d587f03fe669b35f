package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

var (
	kills         = flag.Int("kills", 5, "kill -9 rounds of ocf:mfs:master in the recovery benchmark")
	skipPacemaker = flag.Bool("no-pacemaker", false, "skip the benchmarks that start a local Pacemaker")
	sizes         = flag.String("sizes", "10000,100000,1000000", "metadata sizes, in files, for the start/stop benchmark")
)

// harness runs test/harness/local.sh: the single-node Pacemaker and the
// MooseFS of the integration tests, in a sandbox of their own.
type harness struct {
	sh                           string
	cfg, data, addr, port, state string
}

func (h *harness) run(args ...string) (string, error) {
	cmd := exec.Command(h.sh, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

func (h *harness) crm(args ...string) error {
	out, err := h.run(append([]string{"run", "crm"}, args...)...)
	if err != nil {
		return fmt.Errorf("crm %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (h *harness) answers() bool {
	out, err := h.run("run", "mfscli", "-H", h.addr, "-P", h.port, "-SIN")
	return err == nil && strings.Contains(out, "master version")
}

func (h *harness) pid() int {
	p, _ := readPID(filepath.Join(h.data, ".mfsmaster.lock"))
	return p
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && !strings.Contains(string(b), ") Z ")
}

// until polls cond every 100 ms for at most limit; it returns how long it
// took and whether cond came true.
func until(limit time.Duration, cond func() bool) (time.Duration, bool) {
	t0 := time.Now()
	for time.Since(t0) < limit {
		if cond() {
			return time.Since(t0), true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(t0), false
}

// killRounds kills the serving master k times and times each recovery, from
// the kill to an answer on the client port; limit bounds each wait.
func (h *harness) killRounds(k int, limit time.Duration) (times []time.Duration, recovered int) {
	for i := 0; i < k; i++ {
		if _, ok := until(60*time.Second, h.answers); !ok {
			return times, recovered
		}
		pid := h.pid()
		if pid == 0 {
			return times, recovered
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		d, ok := until(limit, func() bool { p := h.pid(); return p != pid && alive(p) && h.answers() })
		if !ok {
			return times, recovered
		}
		times = append(times, d)
		recovered++
		// Let the new master settle before the next kill, as in production,
		// where a second crash right after a restart is another story.
		time.Sleep(2 * time.Second)
	}
	return times, recovered
}

// tutorialInit is the tutorial's LSB script for an LSB resource
// (lsb:NAME reads /etc/init.d/NAME): status always exits 0, start removes
// the lock when nothing listens and runs mfsmaster start.
const tutorialInit = `#!/bin/bash
# ocf-mfs benchmark: the tutorial's mfsmaster init script, on our config.
CFG=%s
LOCK=%s/.mfsmaster.lock
case "$1" in
start) [[ -z $(ss -ntlp | grep mfsmaster) ]] && rm -f $LOCK; mfsmaster -c $CFG start ;;
stop) mfsmaster -c $CFG stop ;;
status) mfsmaster -c $CFG test ;;
esac
exit 0
`

func benchRecovery(r *report, repo string) error {
	h := &harness{sh: filepath.Join(repo, "test/harness/local.sh")}
	env, err := h.run("env")
	if err != nil {
		return fmt.Errorf("local.sh env: %v", err)
	}
	for _, l := range strings.Split(env, "\n") {
		k, v, _ := strings.Cut(l, "=")
		switch k {
		case "DATA":
			h.data = v
		case "ADDR":
			h.addr = v
		case "MATOCL":
			h.port = v
		case "STATE":
			h.state = v
		}
	}
	if out, err := exec.Command("make", "-C", repo, "--no-print-directory", "build").CombinedOutput(); err != nil {
		return fmt.Errorf("make build: %v: %s", err, out)
	}
	defer h.run("down")
	if out, err := h.run("cluster-start"); err != nil {
		return fmt.Errorf("cluster-start: %v: %s", err, out)
	}
	limit := 60 * time.Second

	type result struct {
		name      string
		times     []time.Duration
		recovered int
		why       string
	}
	var results []result
	fresh := func() error {
		h.run("mfs-stop")
		cfg, err := h.run("mfs-setup")
		h.cfg = cfg
		return err
	}

	// ocf:mfs:master at a 10 s monitor interval.
	if err := fresh(); err != nil {
		return err
	}
	if err := h.crm("configure", "primitive", "b_mfs", "ocf:mfs:master", "params", "config="+h.cfg,
		"op", "start", "timeout=300s", "op", "stop", "timeout=600s", "op", "monitor", "interval=10s", "timeout=30s"); err != nil {
		return err
	}
	t, n := h.killRounds(*kills, limit)
	results = append(results, result{"ocf:mfs:master (monitor every 10 s)", t, n, ""})
	// Pacemaker's own record of the same kills: from the monitor's failure
	// to the end of the start, which returns once the master serves.
	ops, perr := h.ops()
	served := noticedToServing(ops, "b_mfs")
	if perr == nil && len(ops) > 0 {
		if err := os.WriteFile(timelinePath("recovery"), []byte(waterfall("kill -9 of mfsmaster under a single-node Pacemaker (pacemaker.log)", lastRecovery(ops, "b_mfs"))), 0o644); err != nil {
			return err
		}
	}
	_ = h.crm("resource", "stop", "b_mfs")
	until(120*time.Second, func() bool { return h.pid() == 0 || !alive(h.pid()) })
	_ = h.crm("configure", "delete", "--force", "b_mfs")

	// The tutorial: an LSB resource (its status always 0) and the cron
	// watchdog, every 10 s: when nothing listens as mfsmaster, run the
	// init script's start.
	if err := fresh(); err != nil {
		return err
	}
	// The sandbox's /etc/init.d is its own: the script is written there.
	initScript := "/etc/init.d/ocf-mfs-bench-mfsmaster"
	write := exec.Command(h.sh, "run", "sh", "-c", "cat >"+initScript+" && chmod 0755 "+initScript)
	write.Stdin = strings.NewReader(fmt.Sprintf(tutorialInit, h.cfg, h.data))
	if out, err := write.CombinedOutput(); err != nil {
		return fmt.Errorf("init script: %v: %s", err, out)
	}
	if err := h.crm("configure", "primitive", "b_lsb", "lsb:"+filepath.Base(initScript),
		"op", "monitor", "interval=10s", "timeout=30s"); err != nil {
		return err
	}
	ctx, stop := context.WithCancel(context.Background())
	var lastStart string
	go func() {
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if out, _ := h.run("run", "sh", "-c", "ss -ntlp | grep -q mfsmaster"); out == "" {
					if o, err := h.run("run", "sh", "-c", "ss -ntlp | grep -q mfsmaster || "+initScript+" start 2>&1"); err == nil && o != "" {
						lastStart = o
					}
				}
			}
		}
	}()
	t, n = h.killRounds(1, limit)
	stop()
	results = append(results, result{"tutorial: lsb:mfsmaster + cron watchdog every 10 s", t, n, refusal(lastStart)})
	_ = h.crm("resource", "stop", "b_lsb")
	_ = h.crm("configure", "delete", "--force", "b_lsb")
	h.run("mfs-stop")

	// The packaged service's command line (mfsmaster -f start, as
	// moosefs-master.service runs it), restarted by Pacemaker through
	// ocf:heartbeat:anything.
	if err := fresh(); err != nil {
		return err
	}
	if err := h.crm("configure", "primitive", "b_any", "ocf:heartbeat:anything",
		"params", "binfile=/usr/sbin/mfsmaster", "cmdline_options=-c "+h.cfg+" -f start",
		"pidfile="+filepath.Join(filepath.Dir(h.cfg), "anything.pid"),
		"op", "monitor", "interval=10s", "timeout=30s"); err != nil {
		return err
	}
	t, n = h.killRounds(1, limit)
	mon, _ := h.run("run", "crm_mon", "-1rf")
	why := ""
	if n == 0 {
		why = "Pacemaker restarts it, and mfsmaster exits at once for want of -a"
		if strings.Contains(mon, "b_any") {
			for _, l := range strings.Split(mon, "\n") {
				if strings.Contains(l, "fail-count") && strings.Contains(l, "b_any") {
					why += " (" + strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "* b_any:")) + ")"
				}
			}
		}
	}
	results = append(results, result{"packaged service line (mfsmaster -f start) under ocf:heartbeat:anything", t, n, why})
	_ = h.crm("resource", "stop", "b_any")
	_ = h.crm("configure", "delete", "--force", "b_any")

	r.p("## Recovering from kill -9 under a real Pacemaker")
	r.p("")
	r.p("Single-node Pacemaker (test/harness/local.sh), a real mfsmaster; time from `kill -9` until the")
	r.p("master answers clients again, at most %s per kill.", limit)
	r.p("")
	r.p("| setup | kills | recovered | median s | worst s | |")
	r.p("| --- | ---: | ---: | ---: | ---: | --- |")
	for _, x := range results {
		kk := len(x.times)
		if x.recovered < len(x.times) || kk == 0 {
			kk = 1
		}
		if x.name == results[0].name {
			kk = *kills
		}
		med, worst := "—", "—"
		if len(x.times) > 0 {
			ts := append([]time.Duration(nil), x.times...)
			sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
			med = fmt.Sprintf("%.1f", ts[len(ts)/2].Seconds())
			worst = fmt.Sprintf("%.1f", ts[len(ts)-1].Seconds())
		}
		r.p("| %s | %d | %d | %s | %s | %s |", x.name, kk, x.recovered, med, worst, x.why)
	}
	r.p("")
	if len(served) > 0 {
		ts := append([]time.Duration(nil), served...)
		sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
		r.p("From Pacemaker's own log (pacemaker.log), ocf:mfs:master: from the monitor's \"not running\" to the end")
		r.p("of the start (which returns once the master answers on its client port), %d kills: median %d ms,", len(ts), ts[len(ts)/2].Milliseconds())
		r.p("worst %d ms. The rest of the time from the kill is the wait for the next monitor.", ts[len(ts)-1].Milliseconds())
		r.p("")
		r.p("![every resource action of the last kill -9 recovery, from pacemaker.log](%s)", filepath.Base(timelinePath("recovery")))
		r.p("")
	}
	return nil
}

// ops reads the sandbox's pacemaker.log.
func (h *harness) ops() ([]op, error) {
	f, err := os.Open(filepath.Join(h.state, "pacemaker.log"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseOps(f, time.Now().Year())
}

// timelinePath is where the waterfall of a scenario goes, next to the report.
func timelinePath(name string) string {
	return filepath.Join(filepath.Dir(*out), "timeline-"+name+".svg")
}

// lastRecovery keeps the actions of rsc from one second before its last
// monitor failure to the end of the start that followed.
func lastRecovery(ops []op, rsc string) []op {
	var from time.Time
	for _, o := range ops {
		if o.Resource == rsc && o.Action == "monitor" && o.Interval > 0 && o.RC != 0 {
			from = o.End.Add(-time.Second)
		}
	}
	var keep []op
	for _, o := range ops {
		if !o.End.Before(from) {
			keep = append(keep, o)
		}
	}
	return keep
}

// refusal is the line of mfsmaster's output that says why it did not start.
func refusal(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "try using option '-a'") {
			return "never: `mfsmaster start` says \"" + strings.TrimSpace(l) + "\""
		}
	}
	if out == "" {
		return ""
	}
	return "never: " + firstLine(out)
}
