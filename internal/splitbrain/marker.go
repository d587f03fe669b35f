package splitbrain

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// MarkerDir is where the split-brain handler records what DRBD reported,
// so that `status` can say "confirmed" rather than "suspected" for a
// StandAlone device. It lives on disk, not in /run, because an operator
// often looks only after a reboot of the victim.
const MarkerDir = "/var/lib/ocf-mfs/split-brain"

// Marker is one recorded split brain.
type Marker struct {
	Resource    string    `json:"resource"`
	Minors      []int     `json:"minors,omitempty"`
	Peer        string    `json:"peer,omitempty"`
	PeerAddress string    `json:"peer_address,omitempty"`
	DetectedAt  time.Time `json:"detected_at"`
}

// Markers stores markers in Dir, one JSON file per resource.
type Markers struct{ Dir string }

func (m Markers) path(res string) string {
	// Resource names are drbd.conf identifiers, but a handler reads them
	// from the environment: keep a hostile one inside Dir.
	return filepath.Join(m.Dir, strings.ReplaceAll(filepath.Base(res), "..", "_")+".json")
}

// Record writes the marker atomically (write, then rename), so that status
// never reads half a file. It matches HandlerDeps.Marker.
func (m Markers) Record(res string, env HandlerEnv, at time.Time) error {
	if err := os.MkdirAll(m.Dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(Marker{Resource: res, Minors: env.Minors, Peer: env.Peer,
		PeerAddress: env.PeerAddress, DetectedAt: at.UTC()}, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(m.Dir, ".marker-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), m.path(res))
}

// Load returns the marker of res, or nil when there is none.
func (m Markers) Load(res string) (*Marker, error) {
	b, err := os.ReadFile(m.path(res))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var mk Marker
	if err := json.Unmarshal(b, &mk); err != nil {
		return nil, fmt.Errorf("%s: %w", m.path(res), err)
	}
	return &mk, nil
}

// Clear removes the marker of res after a verified recovery; absent is fine.
func (m Markers) Clear(res string) error {
	err := os.Remove(m.path(res))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

var (
	kmsgSplit     = regexp.MustCompile(`block drbd(\d+): Split-Brain detected.*dropping connection`)
	kmsgSolved    = regexp.MustCompile(`block drbd(\d+): Split-Brain detected, (manually|automatically) solved`)
	kmsgConnected = regexp.MustCompile(`block drbd(\d+): conn\( \S+ -> Connected \)`)
)

// KernelSplitBrains reads kernel log lines (dmesg text, or /dev/kmsg
// records) and returns the minors whose last word on the matter was an
// unresolved split brain: a later "solved" or "-> Connected" for the same
// minor clears it. DRBD 8.4 prints these per minor ("block drbd0: ...").
func KernelSplitBrains(r io.Reader) map[int]bool {
	out := map[int]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "drbd") {
			continue
		}
		if m := kmsgSolved.FindStringSubmatch(line); m != nil {
			delete(out, atoi(m[1]))
		} else if m := kmsgSplit.FindStringSubmatch(line); m != nil {
			out[atoi(m[1])] = true
		} else if m := kmsgConnected.FindStringSubmatch(line); m != nil {
			delete(out, atoi(m[1]))
		}
	}
	return out
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// KmsgSplitBrains reads the kernel ring buffer from path (/dev/kmsg) without
// blocking and applies KernelSplitBrains. It returns nil when the buffer
// cannot be read (not root, or dmesg_restrict): the evidence is optional.
func KmsgSplitBrains(path string) map[int]bool {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer syscall.Close(fd)
	var b strings.Builder
	buf := make([]byte, 8192)
	for {
		// Each read returns one record; EAGAIN marks the end of the buffer,
		// and EPIPE a record overwritten while reading, which is skipped.
		n, err := syscall.Read(fd, buf)
		if err == syscall.EPIPE || err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			break
		}
		b.Write(buf[:n])
		if buf[n-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	return KernelSplitBrains(strings.NewReader(b.String()))
}
