package main

import (
	"bufio"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// capture is what lab-stack.sh saved of one failover (BENCH_TIMELINES):
// the moment of the fault on the host's clock, each live node's clock
// against the host's, the nodes whose log is gone, and the actions of each
// node's pacemaker.log from the fault on, already moved onto the host's
// clock.
type capture struct {
	Fault time.Time
	Skew  map[string]time.Duration // node -> guest clock minus host clock
	// Slack bounds how far off the skews may be: half the longest round
	// trip that read a guest's clock.
	Slack time.Duration
	Gone  []string
	Ops   []op
}

// parseMeta reads lab-stack.sh's meta file: "fault=EPOCH", one
// "clock node=N host=EPOCH guest=EPOCH rtt=SECONDS" per live node (both
// read within that round trip to the guest, the host's at its middle; rtt
// may be missing) and one
// "gone node=N" per node whose log died with it. Outcomes: the capture
// without its actions; an error for a file without a fault, a line with a
// number that is not one, or when r cannot be read.
func parseMeta(r io.Reader) (capture, error) {
	c := capture{Skew: map[string]time.Duration{}}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		kv := keyValues(line)
		switch {
		case strings.HasPrefix(line, "fault="):
			t, err := epoch(kv["fault"])
			if err != nil {
				return c, fmt.Errorf("fault: %w", err)
			}
			c.Fault = t
		case strings.HasPrefix(line, "clock "):
			h, err := epoch(kv["host"])
			if err != nil {
				return c, fmt.Errorf("clock of %s: %w", kv["node"], err)
			}
			g, err := epoch(kv["guest"])
			if err != nil {
				return c, fmt.Errorf("clock of %s: %w", kv["node"], err)
			}
			c.Skew[kv["node"]] = g.Sub(h)
			if rtt, err := strconv.ParseFloat(kv["rtt"], 64); err == nil {
				c.Slack = max(c.Slack, time.Duration(rtt/2*float64(time.Second)))
			}
		case strings.HasPrefix(line, "gone "):
			c.Gone = append(c.Gone, kv["node"])
		}
	}
	if err := sc.Err(); err != nil {
		return c, fmt.Errorf("read meta: %w", err)
	}
	if c.Fault.IsZero() {
		return c, errors.New("meta has no fault= line")
	}
	return c, nil
}

// epoch reads seconds since 1970 with a fraction, as date +%s.%N prints them.
func epoch(s string) (time.Time, error) {
	sec, frac, _ := strings.Cut(s, ".")
	i, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a time: %w", s, err)
	}
	ns := 0
	if frac != "" {
		frac = (frac + "000000000")[:9]
		if ns, err = strconv.Atoi(frac); err != nil {
			return time.Time{}, fmt.Errorf("%q is not a time: %w", s, err)
		}
	}
	return time.Unix(i, int64(ns)), nil
}

// readCapture reads one failover's folder: meta and NODE.log for every
// node with a clock line. Each node's actions are moved by that node's
// skew onto the host's clock, so that both nodes and the fault share one
// axis; actions that ended before the fault are left out. The guests
// share the host's time zone (they boot its userland), which the log's
// local times rely on. Outcomes: the capture; an error when meta or a
// live node's log is missing or unreadable.
func readCapture(dir string) (capture, error) {
	f, err := os.Open(filepath.Join(dir, "meta"))
	if err != nil {
		return capture{}, err
	}
	c, err := parseMeta(f)
	f.Close()
	if err != nil {
		return c, err
	}
	for node, skew := range c.Skew {
		lf, err := os.Open(filepath.Join(dir, node+".log"))
		if err != nil {
			return c, err
		}
		ops, err := parseOps(lf, c.Fault.Year())
		lf.Close()
		if err != nil {
			return c, fmt.Errorf("%s: %w", node, err)
		}
		for _, o := range ops {
			o.Start, o.End = o.Start.Add(-skew), o.End.Add(-skew)
			if !o.End.Before(c.Fault) {
				c.Ops = append(c.Ops, o)
			}
		}
	}
	sort.SliceStable(c.Ops, func(i, j int) bool { return c.Ops[i].Start.Before(c.Ops[j].Start) })
	return c, nil
}

// lane is one node's actions on one resource.
type lane struct {
	node, rsc string
	ops       []op
}

// byLane groups ops by node and resource, nodes in name order and, within
// a node, resources in the order of their first action.
func byLane(ops []op) []lane {
	var out []lane
	at := map[string]int{}
	for _, o := range ops {
		k := o.Node + " " + o.Resource
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, lane{node: o.Node, rsc: o.Resource})
		}
		out[i].ops = append(out[i].ops, o)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].node < out[j].node })
	return out
}

// tickStep is a round step that puts about ten ticks on an axis of span.
func tickStep(span time.Duration) time.Duration {
	for _, s := range []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second,
		20 * time.Second, 30 * time.Second, time.Minute} {
		if span/s <= 12 {
			return s
		}
	}
	return 2 * time.Minute
}

// shortOp is an action's label in a lane: its kind and, when it took
// time, how long; a recurring monitor says its interval.
func shortOp(o op) string {
	s := o.Action
	if o.Interval > 0 {
		s += " " + o.Interval.String()
	}
	if failed(o) {
		s += " " + o.Result
	}
	if d := o.End.Sub(o.Start); d >= 100*time.Millisecond {
		s += fmt.Sprintf(" %.1fs", d.Seconds())
	}
	return s
}

// lanes draws one failover as an SVG waterfall with one lane per node and
// resource, on one time axis that starts at the fault (0 s). Each action
// is a bar from its start to its end (a recurring monitor's result, which
// has no start of its own, a thin mark); minor ones go unlabelled, the
// rest carry their kind and duration, stacked
// under the bar where they would overlap. served, when not zero, is when a
// client got an answer through the VIP, drawn as a dashed line; note is a
// line under the title (what the figure lacks).
func lanes(title, note string, fault, served time.Time, ops []op) string {
	const width, labelW, right, barH, textH = 640, 130, 16, 10, 12
	// The note goes one clause ("; ") per line: a long one would run off
	// the figure.
	var notes []string
	if note != "" {
		notes = strings.Split(note, "; ")
	}
	if slices.ContainsFunc(ops, func(o op) bool { return o.Own > 0 }) {
		notes = append(notes, "hatched: mfsmaster's own time inside the action (ocf:mfs:master logs it)")
	}
	top := 52 + textH*max(0, len(notes)-1)
	plotW := float64(width - labelW - right)
	end := fault.Add(time.Second)
	for _, o := range ops {
		if o.End.After(end) {
			end = o.End
		}
	}
	if served.After(end) {
		end = served
	}
	span := end.Sub(fault)
	x := func(t time.Time) float64 {
		if t.Before(fault) {
			t = fault
		}
		return float64(labelW) + plotW*float64(t.Sub(fault))/float64(span)
	}
	// Lay the labels out first: each lane grows by the text rows it needs.
	type placed struct {
		o   op
		row int
		lx  float64 // where its label starts
	}
	ls := byLane(ops)
	layout := make([][]placed, len(ls))
	heights := make([]int, len(ls))
	for i, l := range ls {
		var rowEnd []float64
		for _, o := range l.ops {
			p := placed{o: o, row: -1}
			if !minor(o) {
				// A label that would run off the right edge ends there.
				w := float64(len(shortOp(o))) * 5.6
				lx := min(x(o.Start), float64(width-2)-w)
				p.lx = lx
				for r := range rowEnd {
					if rowEnd[r] < lx {
						p.row = r
						break
					}
				}
				if p.row < 0 {
					p.row = len(rowEnd)
					rowEnd = append(rowEnd, 0)
				}
				rowEnd[p.row] = lx + w + 4
			}
			layout[i] = append(layout[i], p)
		}
		heights[i] = barH + 6 + textH*len(rowEnd)
	}
	h := top + 30
	for _, lh := range heights {
		h += lh
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="10">`+"\n", width, h)
	// Hatching marks the time a program spent inside an action of ours.
	b.WriteString(`<defs><pattern id="own" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
		`<rect width="4" height="4" fill="#fff" fill-opacity="0.35"/><line x1="0" y1="0" x2="0" y2="4" stroke="#000" stroke-opacity="0.5" stroke-width="1.5"/></pattern></defs>` + "\n")
	fmt.Fprintf(&b, `<text x="6" y="16" font-size="13" font-weight="bold">%s</text>`+"\n", html.EscapeString(title))
	for i, n := range notes {
		fmt.Fprintf(&b, `<text x="6" y="%d" fill="#555">%s</text>`+"\n", 30+textH*i, html.EscapeString(n))
	}
	step := tickStep(span)
	for t := time.Duration(0); t <= span; t += step {
		px := x(fault.Add(t))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" fill="#666" text-anchor="middle">%gs</text>`+"\n",
			px, top-6, px, h-22, px, h-10, t.Seconds())
	}
	fmt.Fprintf(&b, `<line class="fault" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000"/><text x="%.1f" y="%d">fault</text>`+"\n",
		x(fault), top-14, x(fault), h-22, x(fault)+2, top-8)
	if !served.IsZero() {
		fmt.Fprintf(&b, `<line class="served" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#27ae60" stroke-dasharray="4 3"/><text x="%.1f" y="%d" fill="#1e8449" text-anchor="end">client answered %.1fs</text>`+"\n",
			x(served), top-14, x(served), h-22, x(served)-2, top-8, served.Sub(fault).Seconds())
	}
	y := top
	for i, l := range ls {
		if i%2 == 1 {
			fmt.Fprintf(&b, `<rect x="0" y="%d" width="%d" height="%d" fill="#000" fill-opacity="0.04"/>`+"\n", y, width, heights[i])
		}
		fmt.Fprintf(&b, `<text x="6" y="%d">%s</text>`+"\n", y+barH+1, html.EscapeString(l.node+" "+l.rsc))
		for _, p := range layout[i] {
			w := x(p.o.End) - x(p.o.Start)
			if w < 1.5 {
				w = 1.5
			}
			fmt.Fprintf(&b, `<rect class="op" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s</title></rect>`+"\n",
				x(p.o.Start), y+3, w, barH, opColor(p.o), html.EscapeString(fmt.Sprintf("%s %s %s: %s, %d ms",
					p.o.Node, p.o.Resource, p.o.Action, p.o.Result, p.o.End.Sub(p.o.Start).Milliseconds())))
			if p.o.Own > 0 {
				// The program's own time ends the bar: mfsmaster's exit is
				// the last of a stop, and a start ends with one probe.
				fmt.Fprintf(&b, `<rect class="own" x="%.1f" y="%d" width="%.1f" height="%d" fill="url(#own)"><title>%s</title></rect>`+"\n",
					x(p.o.End.Add(-p.o.Own)), y+3, max(1.5, x(p.o.End)-x(p.o.End.Add(-p.o.Own))), barH,
					html.EscapeString(fmt.Sprintf("%s %s %s: mfsmaster itself: %d ms of %d ms", p.o.Node, p.o.Resource, p.o.Action,
						p.o.Own.Milliseconds(), p.o.End.Sub(p.o.Start).Milliseconds())))
			}
			if p.row >= 0 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#333">%s</text>`+"\n", p.lx, y+barH+3+textH*(p.row+1), html.EscapeString(shortOp(p.o)))
			}
		}
		y += heights[i]
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// minor says whether o is a quick notify or a quick, successful recurring
// monitor (under half a second): the figures leave those unlabelled and
// the lists of steps leave them out. A slow one stays: on a node that runs
// one action at a time it holds up the next.
func minor(o op) bool {
	return (o.Action == "notify" || o.Interval > 0) && !failed(o) && o.End.Sub(o.Start) < 500*time.Millisecond
}

// steps lists a failover's actions after the fault but the minor ones, as
// "node rsc action a–b s", in order of start: the path a reader follows
// in the figure.
func steps(fault time.Time, ops []op) string {
	var out []string
	for _, o := range ops {
		if minor(o) {
			continue
		}
		action := o.Action
		if o.Interval > 0 {
			action += " " + o.Interval.String()
		}
		s := fmt.Sprintf("%s %s %s %.1f–%.1f s", o.Node, o.Resource, action, max(0, o.Start.Sub(fault).Seconds()), o.End.Sub(fault).Seconds())
		if o.Own > 0 {
			s += fmt.Sprintf(" (mfsmaster itself %.1f s)", o.Own.Seconds())
		}
		if failed(o) {
			s += " (" + o.Result + ")"
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return "no action after the fault"
	}
	return strings.Join(out, "; ")
}

// stackLogsDir is where lab-stack.sh leaves the pacemaker.log slices of
// each failover: in the lab's state folder, kept after the run for a
// reader who wants the raw lines behind a figure.
func stackLogsDir() string {
	lab := os.Getenv("LAB")
	if lab == "" {
		lab = "/tmp/ocf-mfs-lab" // test/lab/lab.sh's default
	}
	return filepath.Join(lab, "stack-logs")
}

// stackEvents are the failovers lab-stack.sh times, by its event names,
// with their names in the figures' files and titles.
var stackEvents = []struct{ event, file, title string }{
	{"standby_failover", "standby", "standby failover"},
	{"crash_takeover", "crash", "crash takeover"},
}

// stackTimelines draws a waterfall for each stack and event that
// lab-stack.sh left a folder for in logs, as timeline-STACK-EVENT.svg next
// to the report, and shows them side by side, ours first, each with the
// path of actions it shows. served gives the seconds from the fault until
// a client got an answer, and whether one did.
func stackTimelines(r *report, logs string, served func(stack, event string) (float64, bool)) error {
	stacks := []struct{ name, title string }{
		{"ours", "ocf:mfs:drbd + ocf:mfs:master"},
		{"tutorial", "ocf:linbit:drbd + LSB + cron"},
	}
	cells := map[string]string{}
	var paths []string
	for _, ev := range stackEvents {
		for _, st := range stacks {
			c, err := readCapture(filepath.Join(logs, st.name+"-"+ev.event))
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return fmt.Errorf("%s %s timeline: %w", st.name, ev.title, err)
			}
			var at time.Time
			secs, ok := served(st.name, ev.event)
			note := "no client answer through the VIP"
			if ok {
				at = c.Fault.Add(time.Duration(secs * float64(time.Second)))
				note = ""
			}
			if len(c.Gone) > 0 {
				if note != "" {
					note += "; "
				}
				note += strings.Join(c.Gone, ", ") + " crashed: its log died with the VM, so it has no lane"
			}
			if c.Slack > 0 {
				if note != "" {
					note += "; "
				}
				note += fmt.Sprintf("guest clocks set against the host within %d ms", c.Slack.Milliseconds())
			}
			name := st.name + "-" + ev.file
			svg := lanes(st.title+": "+ev.title+" (pacemaker.log)", note, c.Fault, at, c.Ops)
			if err := os.WriteFile(timelinePath(name), []byte(svg), 0o644); err != nil {
				return err
			}
			cells[st.name+ev.event] = fmt.Sprintf("![%s, %s: every resource action on every node](%s)", st.title, ev.title, filepath.Base(timelinePath(name)))
			paths = append(paths, fmt.Sprintf("- %s, %s: %s.", st.title, ev.title, steps(c.Fault, c.Ops)))
		}
	}
	if len(cells) == 0 {
		return nil
	}
	r.p("### Where the failovers go: every resource action, from Pacemaker's log")
	r.p("")
	r.p("Each node's pacemaker.log (its controller's \"Requesting local execution\" and \"Result of\" lines),")
	r.p("from the fault until the cluster settled, on one axis from the fault (0 s), one lane per node and")
	r.p("resource; the guests' clocks are set against the host's. The dashed line is the client's first")
	r.p("answer through the VIP, as the host's poll (every 0.5 s) saw it. Hover a bar for its result and duration.")
	r.p("")
	r.p("| | %s | %s |", stacks[0].title, stacks[1].title)
	r.p("| --- | --- | --- |")
	for _, ev := range stackEvents {
		r.p("| %s | %s | %s |", ev.title, cellOr(cells, stacks[0].name+ev.event), cellOr(cells, stacks[1].name+ev.event))
	}
	r.p("")
	r.p("The actions, in order of start (notifies and recurring monitors that took under 0.5 s left out):")
	r.p("")
	for _, p := range paths {
		r.p("%s", p)
	}
	r.p("")
	return nil
}

func cellOr(cells map[string]string, k string) string {
	if c, ok := cells[k]; ok {
		return c
	}
	return "not captured"
}

// stackGoals says how the run compares with issue 19's goals, each a ratio
// to the tutorial's standby failover: ours at most half of it on standby,
// and at most half of it after a crash. A failover that never answered
// meets no goal and sets none.
func stackGoals(oursStandby float64, okStandby bool, oursCrash float64, okCrash bool, tutStandby float64, okTut bool) string {
	if !okTut || tutStandby <= 0 {
		return "Goals (at most 0.5× the tutorial's standby failover): not judged, the tutorial's standby did not answer."
	}
	judge := func(what string, v float64, ok bool) string {
		if !ok {
			return what + ": no answer, goal not met"
		}
		r := v / tutStandby
		verdict := "met"
		if r > 0.5 {
			verdict = "not met"
		}
		return fmt.Sprintf("%s %.1f s, %.2f× the tutorial's standby (goal at most 0.5×: %s)", what, v, r, verdict)
	}
	return "Goals: " + judge("standby failover", oursStandby, okStandby) + "; " + judge("crash takeover", oursCrash, okCrash) + "."
}
