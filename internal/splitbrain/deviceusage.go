package splitbrain

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// drbdMajor is the block major number DRBD registers (LANANA: 147).
const drbdMajor = 147

// ProbeUsage finds what holds /dev/drbdMINOR, without forking lsof or fuser:
// mount points from ROOT/proc/mounts (any device name whose node is DRBD's
// minor, so /dev/drbd/by-res/... links count), kernel holders from
// ROOT/sys/block/drbdMINOR/holders, and processes with an open descriptor on
// the device from ROOT/proc/PID/fd. root is "/" on a real system; tests
// point it at a fixture tree. DRBD 8.4 refuses to open a Secondary, so on a
// Secondary all three are normally empty. Unreadable entries (processes that
// exit while we look, fds of other users when not root) are skipped: the
// drbdadm secondary step is the final arbiter and fails safely.
func ProbeUsage(root string, minor int) (Usage, error) {
	var u Usage
	want := uint64(drbdMajor)<<8 | uint64(minor)
	name := fmt.Sprintf("drbd%d", minor)

	f, err := os.Open(filepath.Join(root, "proc/mounts"))
	if err != nil {
		return u, fmt.Errorf("read mounts: %w", err)
	}
	u.Mounts = parseMounts(f, func(dev string) bool {
		if dev == "/dev/"+name {
			return true
		}
		return strings.HasPrefix(dev, "/dev/") && isDevice(filepath.Join(root, dev), minor)
	})
	f.Close()

	if ents, err := os.ReadDir(filepath.Join(root, "sys/block", name, "holders")); err == nil {
		for _, e := range ents {
			u.Holders = append(u.Holders, e.Name())
		}
	}

	procs, _ := os.ReadDir(filepath.Join(root, "proc"))
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		fdDir := filepath.Join(root, "proc", p.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil {
				continue
			}
			if link == "/dev/"+name || (strings.HasPrefix(link, "/dev/") && rdev(filepath.Join(fdDir, fd.Name())) == want) {
				u.PIDs = append(u.PIDs, pid)
				break
			}
		}
	}
	sort.Ints(u.PIDs)
	return u, nil
}

// parseMounts returns the mount points of the devices match accepts, in
// /proc/mounts order. Octal escapes (\040 for a space) are decoded.
func parseMounts(r io.Reader, match func(dev string) bool) []string {
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		if match(unescapeMount(fields[0])) {
			out = append(out, unescapeMount(fields[1]))
		}
	}
	return out
}

func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isDevice(path string, minor int) bool {
	return rdev(path) == uint64(drbdMajor)<<8|uint64(minor)
}

// rdev returns the (old-style, major<<8|minor) device number of the block
// device at path, following links; 0 when it is not a block device.
func rdev(path string) uint64 {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFBLK {
		return 0
	}
	major := (st.Rdev >> 8) & 0xfff
	minor := (st.Rdev & 0xff) | ((st.Rdev >> 12) & 0xfff00)
	return major<<8 | minor
}
