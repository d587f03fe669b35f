package drbd

import (
	"fmt"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
)

// attrdNames are the attribute daemon's process names: pacemaker-attrd
// from Pacemaker 2.0, attrd in 1.1. When it restarts (Pacemaker restarted
// while DRBD kept running), every transient attribute is gone, the
// promotion score with it.
var attrdNames = map[string]bool{"pacemaker-attrd": true, "attrd": true}

// attrdIdentity names the running attribute daemon as "pid:starttime"
// (starttime in clock ticks since boot, /proc/PID/stat field 22), so that a
// restarted daemon reads differently even under a reused pid. It reads
// /proc only: first the pid of hint, then, when that is not the daemon any
// more, every process. "" means no daemon was found.
func attrdIdentity(root, hint string) string {
	fs, err := procfs.NewFS(root)
	if err != nil {
		return ""
	}
	if pid, err := strconv.Atoi(hintPid(hint)); err == nil {
		if id := identityOf(fs, pid); id != "" {
			return id
		}
	}
	procs, err := fs.AllProcs()
	if err != nil {
		return ""
	}
	for _, p := range procs {
		if id := identityOf(fs, p.PID); id != "" {
			return id
		}
	}
	return ""
}

func hintPid(hint string) string {
	for i := range len(hint) {
		if hint[i] == ':' {
			return hint[:i]
		}
	}
	return hint
}

func identityOf(fs procfs.FS, pid int) string {
	p, err := fs.Proc(pid)
	if err != nil {
		return ""
	}
	st, err := p.Stat()
	if err != nil || !attrdNames[st.Comm] {
		return ""
	}
	return fmt.Sprintf("%d:%d", pid, st.Starttime)
}

// uptime is time since boot (CLOCK_BOOTTIME through sysinfo), which
// neither NTP nor an operator setting the clock moves: the age of the
// score note must not jump with the wall clock.
func uptime() time.Duration {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return 0
	}
	return time.Duration(si.Uptime) * time.Second
}
