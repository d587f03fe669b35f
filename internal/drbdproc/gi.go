package drbdproc

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseGI reads the generation identifiers from `drbdadm get-gi` output, or
// from `drbdadm show-gi`, whose explanatory drawing surrounds the same line.
//
// Outcomes: the GI of the first line made of four 16-digit hex UUIDs
// followed by 0/1 flags; an error wrapping ErrFileParse when there is none.
func ParseGI(text string) (*GI, error) {
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		parts := strings.Split(line, ":")
		if len(parts) < 4 || !allUUIDs(parts[:4]) {
			continue
		}
		gi := &GI{Current: parts[0], Bitmap: parts[1], History1: parts[2], History2: parts[3]}
		for _, p := range parts[4:] {
			n, err := strconv.Atoi(p)
			if err != nil || (n != 0 && n != 1) {
				return nil, fmt.Errorf("%w: generation identifier flags in %q", ErrFileParse, clip(line))
			}
			gi.Flags = append(gi.Flags, n)
		}
		return gi, nil
	}
	return nil, fmt.Errorf("%w: no generation identifiers in %q", ErrFileParse, clip(strings.TrimSpace(text)))
}

// ParseGIs reads every generation identifier line of `drbdadm get-gi RES`,
// which prints one per volume (and, on DRBD 9, per peer) in volume order.
//
// Outcomes: at least one GI; an error wrapping ErrFileParse when there is
// none or a line's flags are not 0/1 digits.
func ParseGIs(text string) ([]*GI, error) {
	var out []*GI
	for _, line := range strings.Split(text, "\n") {
		if parts := strings.Split(strings.TrimSpace(line), ":"); len(parts) < 4 || !allUUIDs(parts[:4]) {
			continue
		}
		gi, err := ParseGI(line)
		if err != nil {
			return nil, err
		}
		out = append(out, gi)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no generation identifiers in %q", ErrFileParse, clip(strings.TrimSpace(text)))
	}
	return out, nil
}

func allUUIDs(parts []string) bool {
	for _, p := range parts {
		if len(p) != 16 {
			return false
		}
		if _, err := strconv.ParseUint(p, 16, 64); err != nil {
			return false
		}
	}
	return true
}

// Empty reports whether the device has never held data (all-zero current
// UUID, or the "just created" value 4).
func (g *GI) Empty() bool {
	return g.Current == "0000000000000000" || g.Current == "0000000000000004"
}
