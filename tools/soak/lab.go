package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// Lab drives the two-VM lab through test/lab/lab.sh, the one way the
// scenarios reach it too.
type Lab struct {
	Script string // test/lab/lab.sh
	Dir    string // $LAB: the per-node shares are under Dir/share/NODE
	Run    runner.Runner
	Log    func(format string, a ...any)
}

// Nodes of the lab.
var Nodes = []string{"node1", "node2"}

// Other is the lab node that is not n.
func Other(n string) string {
	if n == "node1" {
		return "node2"
	}
	return "node1"
}

// lab runs lab.sh with args and a deadline. Outcomes: its output, and an
// error naming the exit code when it did not exit 0.
func (l *Lab) lab(timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout+30*time.Second)
	defer cancel()
	r := l.Run
	if r == nil {
		r = runner.Exec{Env: []string{fmt.Sprintf("LAB_TIMEOUT=%d", int(timeout.Seconds()))}}
	}
	res, err := r.Run(ctx, l.Script, args...)
	out := strings.TrimSpace(res.Stdout + res.Stderr)
	if err != nil {
		return out, fmt.Errorf("lab.sh %s: %w", args[0], err)
	}
	if res.ExitCode != 0 {
		return out, fmt.Errorf("lab.sh %s %s: exit %d: %s", args[0], strings.Join(args[1:2], ""), res.ExitCode, lastLines(out, 6))
	}
	return out, nil
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}

// Exec runs a bash command in node, bounded by timeout.
func (l *Lab) Exec(node string, timeout time.Duration, cmd string) (string, error) {
	return l.lab(timeout, "exec", node, cmd)
}

// Mon sends a qemu monitor command to node.
func (l *Lab) Mon(node, hmp string) error {
	_, err := l.lab(30*time.Second, "mon", node, hmp)
	return err
}

// Alive tells whether node's qemu runs and its guest answered at boot.
func (l *Lab) Alive(node string) bool {
	out, err := l.lab(30*time.Second, "status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, node+" running") {
			return true
		}
	}
	return false
}

// Boot starts node again (same disks, fresh memory) and its cluster
// daemons (sbd first when the lab has fencing).
func (l *Lab) Boot(node string) error {
	if _, err := l.lab(5*time.Minute, "up", node); err != nil {
		return err
	}
	_, err := l.lab(2*time.Minute, "cluster-start", node)
	return err
}

// SharePath is the host's path of a file in node's /share.
func (l *Lab) SharePath(node, name string) string {
	return filepath.Join(l.Dir, "share", node, name)
}

// ReadShare reads a file node left in its /share; the host keeps it even
// when the node crashed.
func (l *Lab) ReadShare(node, name string) ([]byte, error) {
	return os.ReadFile(l.SharePath(node, name))
}
