package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Ack is one acknowledged write: length bytes at offset of a file whose
// fsync returned success, and the SHA-256 of those bytes.
type Ack struct {
	At     time.Time
	Path   string // relative to the client's directory
	Offset int64
	Length int64
	Sum    string // hex SHA-256
}

// Log is what a client's record holds: its acknowledged writes and the
// number of writes that failed (an error from write, fsync or create).
type Log struct {
	Acks  []Ack
	Fails int
}

// ErrLogParse is wrapped by ParseLog for a record line it cannot read.
var ErrLogParse = errors.New("soak: bad ack log line")

// ParseLog reads a client's record: lines "ack UNIXMS PATH OFFSET LENGTH
// SHA256" and "fail UNIXMS PATH REASON...". Outcomes: the log; or an error
// wrapping ErrLogParse for a malformed line. A last line without its
// newline is dropped, not an error: the guest died while writing it, after
// the fsync, and an ack nobody recorded is simply not checked.
func ParseLog(r io.Reader) (Log, error) {
	var l Log
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := br.ReadString('\n')
		if errors.Is(err, io.EOF) {
			return l, nil // a partial last line, or nothing
		}
		if err != nil {
			return l, fmt.Errorf("read ack log: %w", err)
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		ms, terr := strconv.ParseInt(field(f, 1), 10, 64)
		switch {
		case f[0] == "fail" && len(f) >= 3 && terr == nil:
			l.Fails++
		case f[0] == "ack" && len(f) == 6 && terr == nil:
			a := Ack{At: time.UnixMilli(ms), Path: f[2], Sum: f[5]}
			var e1, e2 error
			a.Offset, e1 = strconv.ParseInt(f[3], 10, 64)
			a.Length, e2 = strconv.ParseInt(f[4], 10, 64)
			if e1 != nil || e2 != nil || a.Offset < 0 || a.Length <= 0 || len(a.Sum) != 2*sha256.Size {
				return l, fmt.Errorf("%w %d: %q", ErrLogParse, n, strings.TrimSpace(line))
			}
			l.Acks = append(l.Acks, a)
		default:
			return l, fmt.Errorf("%w %d: %q", ErrLogParse, n, strings.TrimSpace(line))
		}
	}
}

func field(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

// FormatAck is the record line of a.
func FormatAck(a Ack) string {
	return fmt.Sprintf("ack %d %s %d %d %s\n", a.At.UnixMilli(), a.Path, a.Offset, a.Length, a.Sum)
}

// FormatFail is the record line of a failed write; the reason is put on
// one line.
func FormatFail(at time.Time, path string, err error) string {
	return fmt.Sprintf("fail %d %s %s\n", at.UnixMilli(), path, strings.Join(strings.Fields(err.Error()), " "))
}

// Lost is an acknowledged write that is not there as written.
type Lost struct {
	Ack    Ack
	Reason string
}

// Verify reads back every ack under dir. Outcomes: the acks whose bytes are
// missing (file gone, too short) or differ, with the reason; none when all
// were there. Files may have grown since: only the acknowledged range counts.
func Verify(dir string, acks []Ack) []Lost {
	var lost []Lost
	files := map[string]*os.File{}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for _, a := range acks {
		f, ok := files[a.Path]
		if !ok {
			var err error
			f, err = os.Open(filepath.Join(dir, a.Path))
			if err != nil {
				lost = append(lost, Lost{a, err.Error()})
				continue
			}
			files[a.Path] = f
		}
		buf := make([]byte, a.Length)
		if n, err := f.ReadAt(buf, a.Offset); err != nil {
			lost = append(lost, Lost{a, fmt.Sprintf("read %d of %d bytes at %d: %v", n, a.Length, a.Offset, err)})
			continue
		}
		if sum := sha256.Sum256(buf); hex.EncodeToString(sum[:]) != a.Sum {
			lost = append(lost, Lost{a, fmt.Sprintf("content at %d+%d differs", a.Offset, a.Length)})
		}
	}
	return lost
}

// LongestGap is the longest time the client went without an acknowledged
// write: between its start and the first ack, between two acks, or between
// the last ack and end. Outcomes: end-start when there is no ack at all.
func LongestGap(start, end time.Time, acks []Ack) time.Duration {
	prev, gap := start, time.Duration(0)
	for _, a := range acks {
		if d := a.At.Sub(prev); d > gap {
			gap = d
		}
		prev = a.At
	}
	if d := end.Sub(prev); d > gap {
		gap = d
	}
	return gap
}
