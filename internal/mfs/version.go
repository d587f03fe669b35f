package mfs

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a MooseFS release, as `mfsmaster -v` prints it.
type Version struct{ Major, Mid, Minor int }

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Mid, v.Minor) }

// AtLeast reports v >= major.mid.minor.
func (v Version) AtLeast(major, mid, minor int) bool {
	if v.Major != major {
		return v.Major > major
	}
	if v.Mid != mid {
		return v.Mid > mid
	}
	return v.Minor >= minor
}

// ParseVersion reads the output of `mfsmaster -v`: "version: 1.6.27" up to
// 1.6 (mfscommon/main.c prints VERSMAJ.VERSMID.VERSMIN), "version:
// 3.0.117-1 ; build: 1341" from 2.0 on. It takes the first "version: "
// followed by three dot-separated numbers, by hand: a regexp package
// compiled or merely linked into the agent costs its init at every
// monitor. Outcomes: the version; an error wrapping ErrProtocol for any
// other text, or numbers too large for an int.
func ParseVersion(out string) (Version, error) {
	const tag = "version: "
	for rest := out; ; {
		i := strings.Index(rest, tag)
		if i < 0 {
			return Version{}, fmt.Errorf("%w: no version in %q", ErrProtocol, lastLines(out))
		}
		rest = rest[i+len(tag):]
		if v, ok := parseDotted(rest); ok {
			return v, nil
		}
	}
}

// parseDotted reads "MAJOR.MID.MINOR" at the start of s; what follows it
// ("-1 ; build: 1341") is not read.
func parseDotted(s string) (Version, bool) {
	var n [3]int
	for k := range n {
		if k > 0 {
			var ok bool
			if s, ok = strings.CutPrefix(s, "."); !ok {
				return Version{}, false
			}
		}
		j := 0
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		var err error
		if n[k], err = strconv.Atoi(s[:j]); err != nil {
			return Version{}, false // no digits, or too many
		}
		s = s[j:]
	}
	return Version{n[0], n[1], n[2]}, true
}
