package drbdproc

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Parse reads /proc/drbd as DRBD 8.0 to 8.4 write it, or its first lines
// as DRBD 9 does (version only, no devices).
//
// Outcomes:
//   - a Status with one Device per minor line, in file order, gaps between
//     minors kept as they are;
//   - unknown lines and unknown fields are skipped or, for counters, kept in
//     Counters.Extra, because a newer kernel must not break monitoring;
//   - an error wrapping ErrFileParse and naming the line when the input is
//     empty, does not start with a version line, or has a minor line that
//     cannot be read.
func Parse(r io.Reader) (*Status, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	st := &Status{}
	var dev *Device
	n, seenVersion := 0, false
	for sc.Scan() {
		n++
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		if !seenVersion {
			if err := parseVersion(st, line); err != nil {
				return nil, fmt.Errorf("%w: line %d %q: %w", ErrFileParse, n, clip(raw), err)
			}
			seenVersion = true
			continue
		}
		switch {
		case strings.HasPrefix(line, "GIT-hash:"):
			st.GitHash = firstField(strings.TrimPrefix(line, "GIT-hash:"))
			continue
		case strings.HasPrefix(line, "srcversion:"):
			st.SrcVersion = firstField(strings.TrimPrefix(line, "srcversion:"))
			continue
		}
		if minor, rest, ok := minorLine(line); ok {
			d, err := parseDevice(minor, rest)
			if err != nil {
				return nil, fmt.Errorf("%w: line %d %q: %w", ErrFileParse, n, clip(raw), err)
			}
			st.Devices = append(st.Devices, d)
			dev = &st.Devices[len(st.Devices)-1]
			continue
		}
		if dev == nil {
			// DRBD 9 prints "Transports (api:..)" here; nothing else is
			// expected before the first minor.
			continue
		}
		if err := parseDetail(dev, line); err != nil {
			return nil, fmt.Errorf("%w: line %d %q: %w", ErrFileParse, n, clip(raw), err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFileParse, err)
	}
	if !seenVersion {
		return nil, fmt.Errorf("%w: empty input, no version line", ErrFileParse)
	}
	return st, nil
}

// Device returns the device with the given minor.
func (s *Status) Device(minor int) (Device, bool) {
	for _, d := range s.Devices {
		if d.Minor == minor {
			return d, true
		}
	}
	return Device{}, false
}

// Major is the first number of Version, 0 when it cannot be read. DRBD 9
// keeps only the version in /proc/drbd.
func (s *Status) Major() int {
	m, _, _ := strings.Cut(s.Version, ".")
	v, _ := strconv.Atoi(m)
	return v
}

// Devices is Parse for callers that need only the devices.
func Devices(r io.Reader) ([]Device, error) {
	st, err := Parse(r)
	if err != nil {
		return nil, err
	}
	return st.Devices, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

func firstField(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// parseVersion reads "version: 8.4.11 (api:1/proto:86-101)".
func parseVersion(st *Status, line string) error {
	rest, ok := strings.CutPrefix(line, "version:")
	if !ok {
		return fmt.Errorf("expected the version line first")
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return fmt.Errorf("no version number")
	}
	st.Version = f[0]
	if len(f) < 2 {
		return nil
	}
	inner := strings.Trim(f[1], "()")
	for _, part := range strings.Split(inner, "/") {
		k, v, _ := strings.Cut(part, ":")
		switch k {
		case "api":
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("api %q: %w", v, err)
			}
			st.API = n
		case "proto":
			lo, hi, _ := strings.Cut(v, "-")
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil {
				return fmt.Errorf("proto range %q", v)
			}
			st.ProtoMin, st.ProtoMax = a, b
		}
	}
	return nil
}

// minorLine recognises " 0: cs:..." and returns the minor and the rest.
func minorLine(line string) (int, string, bool) {
	head, rest, ok := strings.Cut(line, ": ")
	if !ok {
		// An unconfigured minor of older kernels may end right after "cs:".
		head, rest, ok = strings.Cut(line, ":")
		if !ok || rest != "" {
			return 0, "", false
		}
	}
	m, err := strconv.Atoi(head)
	if err != nil || m < 0 {
		return 0, "", false
	}
	return m, strings.TrimSpace(rest), true
}

// parseDevice reads the state part of a minor line:
// "cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----".
// DRBD 8.0-8.2 wrote "st:" where 8.3 and later write "ro:".
func parseDevice(minor int, rest string) (Device, error) {
	d := Device{Minor: minor}
	for _, f := range strings.Fields(rest) {
		k, v, isKV := strings.Cut(f, ":")
		switch {
		case isKV && k == "cs":
			d.CState = v
		case isKV && (k == "ro" || k == "st"):
			d.Role, d.PeerRole = pair(v)
		case isKV && k == "ds":
			d.Disk, d.PeerDisk = pair(v)
		case isKV:
			// an unknown state field of a newer kernel
		case len(f) == 1 && strings.Contains("ABC", f):
			d.Protocol = f
		case d.Flags == "" && isFlags(f):
			d.Flags = f
		}
	}
	if d.CState == "" {
		return d, fmt.Errorf("minor %d has no connection state (cs:)", minor)
	}
	if d.CState != "Unconfigured" && (d.Role == "" || d.Disk == "") {
		return d, fmt.Errorf("minor %d lacks roles (ro:) or disk states (ds:)", minor)
	}
	return d, nil
}

func pair(v string) (string, string) {
	a, b, _ := strings.Cut(v, "/")
	return a, b
}

// isFlags recognises the I/O state flags, e.g. "r-----" or "s--d-".
func isFlags(f string) bool {
	for _, c := range f {
		if c != '-' && (c < 'a' || c > 'z') {
			return false
		}
	}
	return strings.Contains(f, "-")
}

// parseDetail reads the lines below a minor: counters, resync progress,
// and detail lines that are skipped (act_log:, resync: of proc detail 1).
func parseDetail(d *Device, line string) error {
	switch {
	case strings.HasPrefix(line, "ns:"):
		return parseCounters(&d.Counters, line)
	case strings.HasPrefix(line, "["), strings.HasPrefix(line, "sync'ed:"), strings.HasPrefix(line, "verified:"):
		return parseProgress(d, line)
	case strings.HasPrefix(line, "finish:"):
		if d.Sync == nil {
			d.Sync = &Sync{}
		}
		return parseFinish(d.Sync, line)
	}
	return nil
}

func parseCounters(c *Counters, line string) error {
	for _, f := range strings.Fields(line) {
		k, v, ok := strings.Cut(f, ":")
		if !ok {
			continue
		}
		if k == "wo" {
			c.WO = v
			continue
		}
		dst := counterField(c, k)
		if dst == nil {
			if c.Extra == nil {
				c.Extra = map[string]string{}
			}
			c.Extra[k] = v
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("counter %s: %q is not a number", k, v)
		}
		*dst = n
	}
	return nil
}

func counterField(c *Counters, k string) *uint64 {
	switch k {
	case "ns":
		return &c.NS
	case "nr":
		return &c.NR
	case "dw":
		return &c.DW
	case "dr":
		return &c.DR
	case "al":
		return &c.AL
	case "bm":
		return &c.BM
	case "lo":
		return &c.LO
	case "pe":
		return &c.PE
	case "ua":
		return &c.UA
	case "ap":
		return &c.AP
	case "ep":
		return &c.EP
	case "oos":
		return &c.OOS
	}
	return nil
}

// parseProgress reads "[>....] sync'ed:  3.2% (257420/262100)K" or the
// "verified:" form. Devices over 4 GiB print the amounts in MiB ("M").
func parseProgress(d *Device, line string) error {
	if i := strings.IndexByte(line, ']'); i >= 0 && strings.HasPrefix(line, "[") {
		line = strings.TrimSpace(line[i+1:])
	}
	s := &Sync{}
	switch {
	case strings.HasPrefix(line, "sync'ed:"):
		line = strings.TrimPrefix(line, "sync'ed:")
	case strings.HasPrefix(line, "verified:"):
		s.Verify = true
		line = strings.TrimPrefix(line, "verified:")
	default:
		return nil // a progress bar with a label we do not know
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return fmt.Errorf("progress line too short")
	}
	pct, err := strconv.ParseFloat(strings.TrimSuffix(f[0], "%"), 64)
	if err != nil {
		return fmt.Errorf("progress percent %q", f[0])
	}
	s.Percent = pct
	amounts := f[1]
	unit := uint64(1)
	switch {
	case strings.HasSuffix(amounts, ")K"):
		amounts = strings.TrimSuffix(amounts, "K")
	case strings.HasSuffix(amounts, ")M"):
		amounts, unit = strings.TrimSuffix(amounts, "M"), 1024
	default:
		return fmt.Errorf("progress amounts %q", f[1])
	}
	rem, tot, ok := strings.Cut(strings.Trim(amounts, "()"), "/")
	if !ok {
		return fmt.Errorf("progress amounts %q", f[1])
	}
	r, err1 := number(rem)
	t, err2 := number(tot)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("progress amounts %q", f[1])
	}
	s.RemainingKiB, s.TotalKiB = r*unit, t*unit
	if d.Sync != nil { // a finish line came first; keep what it said
		s.Finish, s.SpeedKiBs, s.AvgKiBs, s.WantKiBs = d.Sync.Finish, d.Sync.SpeedKiBs, d.Sync.AvgKiBs, d.Sync.WantKiBs
	}
	d.Sync = s
	return nil
}

// parseFinish reads "finish: 0:03:34 speed: 1,168 (1,168) want: 1,024 K/sec".
func parseFinish(s *Sync, line string) error {
	f := strings.Fields(line)
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case "finish:":
			if i+1 < len(f) {
				dur, err := clock(f[i+1])
				if err != nil {
					return err
				}
				s.Finish = dur
				i++
			}
		case "speed:":
			if i+1 < len(f) {
				n, err := number(f[i+1])
				if err != nil {
					return fmt.Errorf("speed %q", f[i+1])
				}
				s.SpeedKiBs = n
				i++
			}
			if i+1 < len(f) && strings.HasPrefix(f[i+1], "(") {
				if n, err := number(strings.Trim(f[i+1], "()")); err == nil {
					s.AvgKiBs = n
				}
				i++
			}
		case "want:":
			if i+1 < len(f) {
				if n, err := number(f[i+1]); err == nil {
					s.WantKiBs = n
				}
				i++
			}
		}
	}
	return nil
}

// number reads a count that may carry thousands separators ("1,168").
func number(s string) (uint64, error) {
	return strconv.ParseUint(strings.ReplaceAll(s, ",", ""), 10, 64)
}

// clock reads h:mm:ss.
func clock(s string) (time.Duration, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, fmt.Errorf("finish time %q is not h:mm:ss", s)
	}
	var total time.Duration
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("finish time %q is not h:mm:ss", s)
		}
		total += time.Duration(n) * []time.Duration{time.Hour, time.Minute, time.Second}[i]
	}
	return total, nil
}
