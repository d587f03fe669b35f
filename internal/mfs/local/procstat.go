package local

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ErrFileParse is wrapped by every error about a /proc file whose text is
// not in the kernel's format.
var ErrFileParse = errors.New("unexpected format")

// procStat is what the agent reads of /proc/PID/stat (proc(5)).
type procStat struct {
	PID   int
	Comm  string // up to 15 bytes of the program's name, any bytes but NUL
	State string // field 3: one letter
	PPID  int    // field 4
	Start uint64 // field 22, starttime: clock ticks after boot
}

// maxProcStat bounds a read of /proc/PID/stat: about 52 numbers and a comm
// of at most 64 bytes (kernel threads) fit well under it.
const maxProcStat = 4096

// parseProcStat reads one /proc/PID/stat line. The comm is what lies
// between the first '(' and the LAST ')': the program's name may itself
// hold ") " and parentheses, so neither splitting on spaces nor stopping
// at the first ')' finds the fields after it. Outcomes: the fields; an
// error wrapping ErrFileParse for any other text; an error of r.
func parseProcStat(r io.Reader) (procStat, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxProcStat))
	if err != nil {
		return procStat{}, err
	}
	var s procStat
	l, rp := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if l < 1 || rp < l {
		return s, fmt.Errorf("%w: /proc/PID/stat %q: no (comm)", ErrFileParse, b)
	}
	if s.PID, err = strconv.Atoi(string(bytes.TrimSpace(b[:l]))); err != nil {
		return s, fmt.Errorf("%w: /proc/PID/stat %q: pid: %w", ErrFileParse, b, err)
	}
	s.Comm = string(b[l+1 : rp])
	// Fields from 3 (state) on; field n is f[n-3].
	f := bytes.Fields(b[rp+1:])
	if len(f) < 22-3+1 {
		return s, fmt.Errorf("%w: /proc/PID/stat %q: %d fields after the comm", ErrFileParse, b, len(f))
	}
	s.State = string(f[0])
	if s.PPID, err = strconv.Atoi(string(f[1])); err != nil {
		return s, fmt.Errorf("%w: /proc/PID/stat %q: ppid: %w", ErrFileParse, b, err)
	}
	if s.Start, err = strconv.ParseUint(string(f[22-3]), 10, 64); err != nil {
		return s, fmt.Errorf("%w: /proc/PID/stat %q: starttime: %w", ErrFileParse, b, err)
	}
	return s, nil
}
