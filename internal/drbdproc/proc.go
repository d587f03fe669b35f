package drbdproc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
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
//     empty, does not start with a version line, has a minor line that
//     cannot be read (a minor that is not a number in range, a state
//     field without its "/", no cs:), lists a minor twice or out of the
//     ascending order the kernel prints, or carries a number no kernel
//     prints (a NaN or out-of-range percent, amounts that overflow).
//
// A DRBD 9 /proc/drbd parses to the version and no devices: Source then
// asks drbdsetup; callers holding only the file ask DevicesKnown.
func Parse(r io.Reader) (*Status, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	st := &Status{}
	var dev *Device
	n, seenVersion := 0, false
	lineOf := map[int]int{} // minor -> line it was listed on
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
		minor, rest, ok, err := minorLine(line)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d %q: %w", ErrFileParse, n, clip(raw), err)
		}
		if ok {
			if first, dup := lineOf[minor]; dup {
				return nil, fmt.Errorf("%w: line %d: minor %d is listed twice (first on line %d)", ErrFileParse, n, minor, first)
			}
			if dev != nil && minor < dev.Minor {
				return nil, fmt.Errorf("%w: line %d: minor %d after minor %d; the kernel lists minors in ascending order", ErrFileParse, n, minor, dev.Minor)
			}
			lineOf[minor] = n
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

// ErrDRBD9 is wrapped by DevicesKnown for a DRBD 9 /proc/drbd.
var ErrDRBD9 = errors.New("DRBD 9 keeps only its version in /proc/drbd: the state of its devices comes from drbdsetup (events2 or status)")

// DevicesKnown tells whether Devices is the whole state.
//
// Outcomes: nil for DRBD 8 (no device listed then means none is up); an
// error wrapping ErrDRBD9 for DRBD 9, whose /proc/drbd lists no device
// whatever runs, so that a caller holding only the file does not report
// "no devices".
func (s *Status) DevicesKnown() error {
	if s.Major() >= 9 {
		return fmt.Errorf("version %s: %w", s.Version, ErrDRBD9)
	}
	return nil
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
			// DRBD 0.7 and 8.0 speak one protocol: "proto:86".
			lo, hi, isRange := strings.Cut(v, "-")
			if !isRange {
				hi = lo
			}
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

// maxMinor is the largest minor DRBD allows (MINORMASK, 2^20-1).
const maxMinor = 1<<20 - 1

// minorLine recognises " 0: cs:..." and returns the minor and the rest.
// A line whose state part starts with "cs:" is a minor line whatever its
// head: a head that is not a minor in range is an error, not a line to
// skip, because skipping it would hide a device.
func minorLine(line string) (int, string, bool, error) {
	head, rest, ok := strings.Cut(line, ": ")
	if !ok {
		// An unconfigured minor of older kernels may end right after "cs:".
		head, rest, ok = strings.Cut(line, ":")
		if !ok || rest != "" {
			return 0, "", false, nil
		}
	}
	rest = strings.TrimSpace(rest)
	m, err := strconv.Atoi(head)
	if err != nil || m < 0 || m > maxMinor {
		if strings.HasPrefix(rest, "cs:") {
			return 0, "", false, fmt.Errorf("minor %q is not a number from 0 to %d", head, maxMinor)
		}
		return 0, "", false, nil
	}
	return m, rest, true, nil
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
		case isKV && (k == "ro" || k == "st" || k == "ds"):
			a, b, ok := strings.Cut(v, "/")
			if !ok || a == "" || b == "" {
				return d, fmt.Errorf("minor %d: %s:%s is not local/peer", minor, k, v)
			}
			if k == "ds" {
				d.Disk, d.PeerDisk = a, b
			} else {
				d.Role, d.PeerRole = a, b
			}
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
// "verified:" form. Devices over 4 GiB print the amounts in MiB ("M"), and
// Linux 3.8 to 3.15 print the finish fields right after that M, on the same
// line: "(10236/10240)Mfinish: 0:00:05 speed: ...".
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
	pct, err := percent(f[0])
	if err != nil {
		return err
	}
	s.Percent = pct
	amounts, unit, tail, err := splitAmounts(f[1])
	if err != nil {
		return err
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
	// An amount that overflows once in KiB is no amount a kernel printed
	// (it would be over 16 EiB): an error names the line, where saturating
	// would hand a made-up figure to whoever plans around the resync.
	if r > math.MaxUint64/unit || t > math.MaxUint64/unit {
		return fmt.Errorf("progress amounts %q overflow in KiB", f[1])
	}
	s.RemainingKiB, s.TotalKiB = r*unit, t*unit
	if d.Sync != nil { // a finish line came first; keep what it said
		s.Finish, s.SpeedKiBs, s.AvgKiBs, s.WantKiBs = d.Sync.Finish, d.Sync.SpeedKiBs, d.Sync.AvgKiBs, d.Sync.WantKiBs
	}
	d.Sync = s
	if tail == "" {
		return nil
	}
	return parseFinish(s, strings.Join(append([]string{tail}, f[2:]...), " "))
}

// splitAmounts splits "(R/T)K" or "(R/T)M", possibly followed directly by
// "finish:", into the amounts, the unit in KiB and what follows.
func splitAmounts(f string) (amounts string, unit uint64, tail string, err error) {
	i := strings.IndexByte(f, ')')
	if i < 0 || i+1 >= len(f) {
		return "", 0, "", fmt.Errorf("progress amounts %q", f)
	}
	switch f[i+1] {
	case 'K':
		unit = 1
	case 'M':
		unit = 1024
	default:
		return "", 0, "", fmt.Errorf("progress amounts %q", f)
	}
	tail = f[i+2:]
	if tail != "" && !strings.HasPrefix(tail, "finish:") {
		return "", 0, "", fmt.Errorf("progress amounts %q", f)
	}
	return f[:i+1], unit, tail, nil
}

// percent reads the kernel's "%3u.%u%%": digits, a dot, digits. ParseFloat
// alone would take "NaN" and "Inf", which no kernel prints and which
// encoding/json refuses.
func percent(f string) (float64, error) {
	v := strings.TrimSuffix(f, "%")
	ok := v != "" && v != "."
	for _, c := range v {
		ok = ok && (c == '.' || (c >= '0' && c <= '9'))
	}
	p, err := strconv.ParseFloat(v, 64)
	if !ok || err != nil || p > 100 {
		return 0, fmt.Errorf("progress percent %q is not a percentage from 0 to 100", f)
	}
	return p, nil
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

// clock reads h:mm:ss. The kernel prints the hours of its estimate as an
// unsigned long, which a stalled resync can make larger than a
// time.Duration holds: such an estimate saturates at the largest Duration,
// since it only says "not any time soon".
func clock(s string) (time.Duration, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, fmt.Errorf("finish time %q is not h:mm:ss", s)
	}
	var n [3]uint64
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 64)
		if err != nil || (i > 0 && v > 59) {
			return 0, fmt.Errorf("finish time %q is not h:mm:ss", s)
		}
		n[i] = v
	}
	const maxHours = uint64(math.MaxInt64 / int64(time.Hour))
	if n[0] >= maxHours {
		return time.Duration(math.MaxInt64), nil
	}
	return time.Duration(n[0])*time.Hour + time.Duration(n[1])*time.Minute + time.Duration(n[2])*time.Second, nil
}
