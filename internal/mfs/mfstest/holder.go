// Package mfstest stands in for mfsmaster processes in tests: a process
// that holds the fcntl lock on a lock file exactly as mfsmaster does
// (mfscommon/main.c, mylock: F_SETLK of a write lock on the whole file),
// optionally without writing its pid (MooseFS 1.6), ignoring SIGTERM (a
// master still storing its metadata), listening on a port and forking a
// child (the data writer of MooseFS 3.0 and later).
//
// The stand-in is the test binary itself, run through a symlink named
// after the process name it must have: a test package calls Main from its
// TestMain, and Start from its tests.
package mfstest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const modeEnv = "OCF_MFS_TEST_HOLDER"

// Holder says how the stand-in behaves.
type Holder struct {
	Name       string // process name (comm); "mfsmaster" when empty
	Lock       string // lock file to create and lock; none when empty
	WritePID   bool   // write "PID\n" into it, as mfsmaster 2.0.30 and later do
	IgnoreTerm bool   // survive SIGTERM
	Listen     string // host:port to listen on; none when empty
	Answer     []byte // sent back for each 8-byte request on Listen
	Child      bool   // fork a child of the same name, as the data writer
	Args       []string
}

// Proc is a started stand-in.
type Proc struct {
	Cmd   *exec.Cmd
	PID   int
	Child int // pid of its child, 0 when none
	done  chan struct{}
}

// Done is closed once the stand-in has exited and been reaped.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Start runs the stand-in and returns once it holds its lock and listens.
// It is killed, with its child, when the test ends.
func Start(t testing.TB, h Holder) *Proc {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	name := h.Name
	if name == "" {
		name = "mfsmaster"
	}
	link := filepath.Join(t.TempDir(), name)
	if err := os.Symlink(self, link); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(link, h.Args...)
	cmd.Env = append(os.Environ(), modeEnv+"=1",
		"HOLDER_LOCK="+h.Lock, "HOLDER_LISTEN="+h.Listen, "HOLDER_ANSWER="+string(h.Answer),
		fmt.Sprintf("HOLDER_WRITEPID=%t", h.WritePID), fmt.Sprintf("HOLDER_IGNORETERM=%t", h.IgnoreTerm),
		fmt.Sprintf("HOLDER_CHILD=%t", h.Child))
	// No Setpgid: like the real daemon, the stand-in's pid is not its
	// process group's id, so a kill of -PID reaches nothing.
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Proc{Cmd: cmd, PID: cmd.Process.Pid, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(p.PID, syscall.SIGKILL)
		if p.Child > 0 {
			_ = syscall.Kill(p.Child, syscall.SIGKILL)
		}
		<-p.done
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("stand-in master did not start: %v", err)
	}
	if _, err := fmt.Sscanf(line, "ready %d", &p.Child); err != nil {
		t.Fatalf("stand-in master: %q", line)
	}
	return p
}

// Main runs the stand-in when the test binary was started as one, and
// returns otherwise. Call it first in TestMain.
func Main() {
	switch os.Getenv(modeEnv) {
	case "1":
		os.Exit(holder())
	case "child":
		signal.Ignore(syscall.SIGTERM)
		for {
			time.Sleep(time.Hour)
		}
	}
}

func holder() int {
	if os.Getenv("HOLDER_IGNORETERM") == "true" {
		signal.Ignore(syscall.SIGTERM)
	}
	if path := os.Getenv("HOLDER_LOCK"); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o666)
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart}
		if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk); err != nil {
			fmt.Println("error", err)
			return 1
		}
		if os.Getenv("HOLDER_WRITEPID") == "true" {
			_ = f.Truncate(0)
			fmt.Fprintf(f, "%d\n", os.Getpid())
		}
		defer f.Close()
	}
	if addr := os.Getenv("HOLDER_LISTEN"); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		go Serve(ln, []byte(os.Getenv("HOLDER_ANSWER")))
	}
	child := 0
	if os.Getenv("HOLDER_CHILD") == "true" {
		self, _ := os.Executable()
		c := exec.Command(self)
		c.Args[0] = filepath.Base(os.Args[0])
		c.Path = os.Args[0]
		c.Env = append(os.Environ(), modeEnv+"=child")
		if err := c.Start(); err != nil {
			fmt.Println("error", err)
			return 1
		}
		child = c.Process.Pid
		go func() { _ = c.Wait() }()
	}
	fmt.Printf("ready %d\n", child)
	os.Stdout.Close()
	for {
		time.Sleep(time.Hour)
	}
}

// Serve answers every 8-byte request on ln with answer (a real
// MATOCL_INFO in the tests), as a master's client port would, until ln is
// closed.
func Serve(ln net.Listener, answer []byte) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			var req [8]byte
			for {
				if _, err := io.ReadFull(c, req[:]); err != nil {
					return
				}
				if _, err := c.Write(answer); err != nil {
					return
				}
			}
		}()
	}
}

// FakeBinary writes an executable shell script at dir/name and returns its
// path: a stand-in for mfsmaster or mfsmetarestore whose behaviour the
// test spells out and cites.
func FakeBinary(t testing.TB, dir, name, script string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+strings.TrimSpace(script)+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
