package mfs

import (
	"fmt"
	"regexp"
	"strconv"
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

var versionRE = regexp.MustCompile(`version: (\d+)\.(\d+)\.(\d+)`)

// ParseVersion reads the output of `mfsmaster -v`: "version: 1.6.27" up to
// 1.6 (mfscommon/main.c prints VERSMAJ.VERSMID.VERSMIN), "version:
// 3.0.117-1 ; build: 1341" from 2.0 on. Outcomes: the version; an error
// wrapping ErrProtocol for any other text.
func ParseVersion(out string) (Version, error) {
	m := versionRE.FindStringSubmatch(out)
	if m == nil {
		return Version{}, fmt.Errorf("%w: no version in %q", ErrProtocol, lastLines(out))
	}
	var v Version
	v.Major, _ = strconv.Atoi(m[1])
	v.Mid, _ = strconv.Atoi(m[2])
	v.Minor, _ = strconv.Atoi(m[3])
	return v, nil
}
