package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// RoundResult is what one soak round showed.
type RoundResult struct {
	Step
	Recovery time.Duration // fault injected until the cluster settled
	Gap      time.Duration // longest time the client had no write acknowledged
	Acks     int           // writes acknowledged (fsync returned 0) in the round
	Lost     int           // of those, not read back as written
	Fails    int           // writes that failed (allowed during an outage)
	Human    string        // why the round needed a human; "" if it did not
}

// Summary is the soak's table.
type Summary struct {
	Seed    int64
	Planned int
	Rounds  []RoundResult
	Fencing bool
	Date    time.Time
}

// median and worst of ds; zero for none. The median of an even count is
// the upper middle one: a value that was measured.
func medianWorst(ds []time.Duration) (time.Duration, time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2], s[len(s)-1]
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f", d.Seconds()) }

// Table renders the summary as Markdown.
func (s Summary) Table() string {
	var b strings.Builder
	acks, lost, fails, human := 0, 0, 0, 0
	for _, r := range s.Rounds {
		acks += r.Acks
		lost += r.Lost
		fails += r.Fails
		if r.Human != "" {
			human++
		}
	}
	fencing := "SBD (fence_sbd, softdog), stonith-enabled=true, DRBD fencing resource-and-stonith"
	if !s.Fencing {
		fencing = "none (stonith-enabled=false): no partition faults"
	}
	fmt.Fprintf(&b, "Written by `make soak` on %s: seed %d, %d of %d rounds run. Fencing: %s.\n\n",
		s.Date.UTC().Format("2006-01-02"), s.Seed, len(s.Rounds), s.Planned, fencing)
	fmt.Fprintf(&b, "| fault | rounds | recovery median s | recovery worst s | longest write gap median s | longest write gap worst s |\n")
	fmt.Fprintf(&b, "| --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, f := range AllFaults {
		var rec, gap []time.Duration
		for _, r := range s.Rounds {
			if r.Fault == f {
				rec = append(rec, r.Recovery)
				gap = append(gap, r.Gap)
			}
		}
		if len(rec) == 0 {
			continue
		}
		rm, rw := medianWorst(rec)
		gm, gw := medianWorst(gap)
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s |\n", f, len(rec), secs(rm), secs(rw), secs(gm), secs(gw))
	}
	fmt.Fprintf(&b, "\n| total | |\n| --- | ---: |\n")
	fmt.Fprintf(&b, "| rounds run | %d |\n| acknowledged writes | %d |\n| acknowledged writes lost (must be 0) | %d |\n", len(s.Rounds), acks, lost)
	fmt.Fprintf(&b, "| writes failed during outages (allowed) | %d |\n| rounds that needed a human (must be 0) | %d |\n", fails, human)
	for _, r := range s.Rounds {
		if r.Human != "" {
			fmt.Fprintf(&b, "\nRound %d (%s) needed a human: %s\n", r.Round, r.Fault, r.Human)
		}
	}
	return b.String()
}

// OK tells whether the soak passed: every planned round ran, nothing
// acknowledged was lost, and no round needed a human.
func (s Summary) OK() bool {
	if len(s.Rounds) != s.Planned {
		return false
	}
	for _, r := range s.Rounds {
		if r.Lost > 0 || r.Human != "" {
			return false
		}
	}
	return true
}

const (
	markBegin = "<!-- soak:begin -->"
	markEnd   = "<!-- soak:end -->"
)

const soakHeading = "## Soak: random faults under a writing client (`make soak`)"

// Splice puts section, under its heading, between the soak markers of doc,
// or appends the markers and all when doc has none. The heading is inside
// the markers so that make bench, which rewrites the rest of the file, can
// carry the whole block over. Outcomes: the new document; an error when
// only one marker is there or they are out of order (a hand-edited file we
// would otherwise cut).
func Splice(doc, section string) (string, error) {
	i, j := strings.Index(doc, markBegin), strings.Index(doc, markEnd)
	block := markBegin + "\n" + soakHeading + "\n\n" + section + markEnd
	switch {
	case i < 0 && j < 0:
		if doc != "" && !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		return doc + "\n" + block + "\n", nil
	case i < 0 || j < 0 || j < i:
		return "", fmt.Errorf("soak markers %q and %q are not a pair in order", markBegin, markEnd)
	}
	return doc[:i] + block + doc[j+len(markEnd):], nil
}

// WriteReport splices the table into the Markdown file at path (created
// when missing).
func WriteReport(path string, s Summary) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	doc, err := Splice(string(old), s.Table())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
