package main

import (
	"bufio"
	"io"
	"strings"
)

// Markers of a hand-written section of the report: make bench cannot
// reproduce what lies between them (figures from lab scenarios it does not
// run), so it carries them over from the report it replaces.
const (
	keptBegin = "<!-- kept by make bench: begin -->"
	keptEnd   = "<!-- kept by make bench: end -->"
)

// keptSections returns every complete kept section of an earlier report,
// markers included, each ending in a newline; "" when there is none. A
// section whose end marker is missing is dropped rather than guessed at.
func keptSections(r io.Reader) string {
	var out, cur strings.Builder
	in := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && strings.TrimSpace(line) == keptBegin:
			in = true
			cur.Reset()
		case in && strings.TrimSpace(line) == keptEnd:
			in = false
			cur.WriteString(line + "\n")
			out.WriteString(cur.String())
			continue
		}
		if in {
			cur.WriteString(line + "\n")
		}
	}
	return out.String()
}
