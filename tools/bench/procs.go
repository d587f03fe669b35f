package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
)

// straceArgs trace what countTrace reads, for `strace ARGS... -o FILE CMD`.
var straceArgs = []string{"-f", "-qq", "-e", "signal=none", "-e", "trace=execve,fork,vfork,clone,clone3"}

// The kernel's process counter counts threads too, which would charge a Go
// program for its runtime's threads; strace tells processes from threads
// by CLONE_THREAD. It runs in a pass of its own, as it slows what it traces.
var forkCall = regexp.MustCompile(`^\d+\s+(fork|vfork|clone|clone3)\(`)

// countProcs runs argv once under strace and returns how many processes it
// started (itself included) and how many programs it executed.
func countProcs(env []string, argv ...string) (procs, execs int, err error) {
	f, err := os.CreateTemp("", "ocf-mfs-bench-strace-")
	if err != nil {
		return 0, 0, err
	}
	f.Close()
	defer os.Remove(f.Name())
	args := append(append(append([]string{}, straceArgs...), "-o", f.Name()), argv...)
	cmd := exec.Command("strace", args...)
	cmd.Env = append(os.Environ(), env...)
	_ = cmd.Run() // the traced command's own exit code is not the point here
	b, err := os.Open(f.Name())
	if err != nil {
		return 0, 0, err
	}
	defer b.Close()
	return countTrace(b)
}

// countTrace reads strace output made with straceArgs: the traced program
// plus one process per fork that is not a thread, and every execve that
// succeeded. A call strace split in two ("<unfinished ...>", then
// "<... resumed>") counts once, on its first half.
func countTrace(r io.Reader) (procs, execs int, err error) {
	procs = 1
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.Contains(l, "resumed>") {
			continue
		}
		if forkCall.MatchString(l) && !strings.Contains(l, "CLONE_THREAD") {
			procs++
		}
		if strings.Contains(l, " execve(") && !strings.Contains(l, "= -1 ") {
			execs++
		}
	}
	return procs, execs, sc.Err()
}
