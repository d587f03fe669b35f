package main

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// op is one resource action as Pacemaker's controller logged it: requested
// at Start, its result at End. A recurring monitor's later results have no
// request of their own: Start equals End, the moment Pacemaker learnt it.
type op struct {
	Node, Resource, Action string
	Interval               time.Duration
	Start, End             time.Time
	Result                 string // "ok", "not running", ...
	RC                     int
	// Own is the part of a start or stop that the managed program itself
	// took, as ocf:mfs:master logs it (mfsmaster's exit after SIGTERM,
	// "mfsmaster start"); zero when the agent logged none.
	Own time.Duration
}

var (
	// "Nov 27 13:51:42.367 vm pacemaker-controld  [19635] (...) \tnotice: MESSAGE"
	logLine   = regexp.MustCompile(`^(\w{3} +\d+ \d\d:\d\d:\d\d\.\d{3}) \S+ pacemaker-controld\s+\[\d+\] \([^)]*\)\s+\w+: (.*)$`)
	requested = regexp.MustCompile(`^Requesting local execution of (\w+) operation for (\S+) on (\S+) \|.* op_key=(\S+)`)
	// Pacemaker 2.1 ends the line "call=N key=KEY rc=RC"; 2.0 had
	// "call=N key=KEY confirmed=B cib-update=N" with no rc: the result's
	// text is then all there is (rcOf).
	result = regexp.MustCompile(`^Result of (\w+) operation for (\S+) on (\S+): (.*?) \|.*?\bkey=(\S+)(?:.*?\brc=(\d+))?`)
	// "Nov 27 17:19:49 master(p_mfs)[3326]: INFO: mfsmaster (pid 3091) exited 2.71 s after SIGTERM"
	// "... INFO: mfsmaster 3.0.117 started (pid 838, recovery false); mfsmaster start took 1.05 s"
	ownLine = regexp.MustCompile(`\(([^()\s]+)\)(?:\[\d+\])?: INFO: mfsmaster .*?(?:exited ([\d.]+) s after SIGTERM|; mfsmaster start took ([\d.]+) s)`)
)

// parseOps reads pacemaker.log (or the concatenated logs of several nodes)
// and returns every resource action with a result, probes, starts, stops,
// promotes, demotes, notifies and monitors, ordered by start. The log has
// no year: year completes its dates. Lines of other kinds, and cancelled
// recurring monitors, are skipped. Outcomes: the actions (none for a log
// without any); an error only when r cannot be read.
func parseOps(r io.Reader, year int) ([]op, error) {
	pending := map[string]time.Time{} // node + op key -> requested at
	// resource + action -> the program's own time the agent logged; the
	// agent's line has no node, but one log holds one node's agents.
	own := map[string]time.Duration{}
	var ops []op
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if q := ownLine.FindStringSubmatch(sc.Text()); q != nil {
			action, secs := "stop", q[2]
			if secs == "" {
				action, secs = "start", q[3]
			}
			if f, err := strconv.ParseFloat(secs, 64); err == nil {
				own[q[1]+" "+action] = time.Duration(f * float64(time.Second))
			}
			continue
		}
		m := logLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		at, err := time.ParseInLocation("Jan _2 15:04:05.000 2006", strings.Join(strings.Fields(m[1]), " ")+" "+strconv.Itoa(year), time.Local)
		if err != nil {
			continue
		}
		if q := requested.FindStringSubmatch(m[2]); q != nil {
			pending[q[3]+" "+q[4]] = at
			continue
		}
		q := result.FindStringSubmatch(m[2])
		if q == nil || q[4] == "Cancelled" {
			continue
		}
		o := op{Action: q[1], Resource: q[2], Node: q[3], End: at, Start: at}
		o.Result, _, _ = strings.Cut(q[4], " (")
		o.RC = rcOf(q[6], o.Result)
		o.Interval = keyInterval(q[5])
		if s, ok := pending[q[3]+" "+q[5]]; ok {
			o.Start = s
			delete(pending, q[3]+" "+q[5])
		}
		if k := o.Resource + " " + o.Action; o.Interval == 0 {
			o.Own = min(own[k], o.End.Sub(o.Start))
			delete(own, k)
		}
		ops = append(ops, o)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read pacemaker log: %w", err)
	}
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].Start.Before(ops[j].Start) })
	return ops, nil
}

// rcOf is the OCF exit code of a result line: its rc= field, or, on a
// Pacemaker that logs none, the code its text names; -1 for a text it does
// not know.
func rcOf(rc, text string) int {
	if n, err := strconv.Atoi(rc); err == nil {
		return n
	}
	if n, ok := map[string]int{"ok": 0, "error": 1, "invalid parameter": 2,
		"unimplemented feature": 3, "insufficient privileges": 4, "not installed": 5, "not configured": 6,
		"not running": 7, "promoted": 8, "master": 8}[text]; ok {
		return n
	}
	return -1
}

// failed says whether o's result is a failure: a probe that finds nothing
// (7) and a promoted instance's monitor (8) are answers, not failures.
func failed(o op) bool {
	switch {
	case o.RC == 0:
		return false
	case o.RC == 8 && (o.Action == "monitor" || o.Action == "probe"):
		return false
	case o.RC == 7 && o.Action == "probe":
		return false
	}
	return true
}

// opColors gives each kind of action its colour in the waterfalls.
var opColors = map[string]string{"start": "#2b7bb9", "stop": "#c0392b", "promote": "#27ae60", "demote": "#e67e22",
	"notify": "#8e44ad", "probe": "#7f8c8d", "monitor": "#16a085"}

// opColor is o's colour: its kind's, or red when it failed.
func opColor(o op) string {
	if failed(o) {
		return "#e74c3c"
	}
	return opColors[o.Action]
}

// keyInterval is the interval of an operation key, RSC_ACTION_MS.
func keyInterval(key string) time.Duration {
	i := strings.LastIndexByte(key, '_')
	ms, err := strconv.Atoi(key[i+1:])
	if i < 0 || err != nil {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

// noticedToServing returns, for each failure of rsc's recurring monitor,
// the time from that result to the end of the next successful start of rsc
// on any node: ocf:mfs:master's start ends only once the master answers
// clients, so that end is when it serves again.
func noticedToServing(ops []op, rsc string) []time.Duration {
	var out []time.Duration
	for i, o := range ops {
		if o.Resource != rsc || o.Action != "monitor" || o.Interval == 0 || o.RC == 0 {
			continue
		}
		for _, s := range ops[i+1:] {
			if s.Resource == rsc && s.Action == "start" && s.RC == 0 && s.End.After(o.End) {
				out = append(out, s.End.Sub(o.End))
				break
			}
		}
	}
	return out
}

// waterfall draws ops as an SVG waterfall: one row per action, in order of
// start, a bar from its start to its end on one time axis, labelled with
// node, resource, action, result and duration. Instant results (a
// recurring monitor's failure) are drawn as a thin mark.
func waterfall(title string, ops []op) string {
	const width, labelW, rowH, top = 960, 360, 18, 40
	plotW := width - labelW - 70
	var t0, t1 time.Time
	for i, o := range ops {
		if i == 0 || o.Start.Before(t0) {
			t0 = o.Start
		}
		if o.End.After(t1) {
			t1 = o.End
		}
	}
	span := t1.Sub(t0)
	if span <= 0 {
		span = time.Second
	}
	x := func(t time.Time) float64 { return float64(labelW) + float64(plotW)*float64(t.Sub(t0))/float64(span) }
	h := top + rowH*len(ops) + 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", width, h)
	fmt.Fprintf(&b, `<text x="8" y="18" font-size="14" font-weight="bold">%s</text>`+"\n", html.EscapeString(title))
	// A tick per second, or per ten seconds on a long axis.
	step := time.Second
	if span > 20*time.Second {
		step = 10 * time.Second
	}
	for t := time.Duration(0); t <= span; t += step {
		px := x(t0.Add(t))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" fill="#666" text-anchor="middle">%gs</text>`+"\n",
			px, top-6, px, h-24, px, h-10, t.Seconds())
	}
	for i, o := range ops {
		y := top + i*rowH
		d := o.End.Sub(o.Start)
		label := fmt.Sprintf("%s %s %s: %s", o.Node, o.Resource, o.Action, o.Result)
		if o.Interval > 0 {
			label = fmt.Sprintf("%s %s %s %s: %s", o.Node, o.Resource, o.Action, o.Interval, o.Result)
		}
		fmt.Fprintf(&b, `<text x="8" y="%d">%s</text>`+"\n", y+13, html.EscapeString(label))
		w := x(o.End) - x(o.Start)
		if w < 2 {
			w = 2
		}
		fmt.Fprintf(&b, `<rect class="op" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>`, x(o.Start), y+3, w, rowH-6, opColor(o))
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#333">%d ms</text>`+"\n", x(o.Start)+w+4, y+13, d.Milliseconds())
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// drawTimeline is bench -timeline LOG: the waterfall of one saved
// pacemaker.log (a lab node's, or several nodes' concatenated), written as
// timeline-NAME.svg next to the report, NAME being the log's base name.
func drawTimeline() error {
	f, err := os.Open(*timelineOf)
	if err != nil {
		return err
	}
	defer f.Close()
	ops, err := parseOps(f, time.Now().Year())
	if err != nil {
		return err
	}
	name := strings.TrimSuffix(filepath.Base(*timelineOf), filepath.Ext(*timelineOf))
	if err := os.WriteFile(timelinePath(name), []byte(waterfall(name, ops)), 0o644); err != nil {
		return err
	}
	for _, d := range noticedToServing(ops, "b_mfs") {
		fmt.Printf("monitor failure to start done: %d ms\n", d.Milliseconds())
	}
	return nil
}
