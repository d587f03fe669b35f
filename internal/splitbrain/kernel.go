package splitbrain

import (
	"bufio"
	"io"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

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
