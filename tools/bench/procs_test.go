package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fixtures are real strace output, made with straceArgs.
func TestCountTrace(t *testing.T) {
	for _, c := range []struct {
		file         string
		procs, execs int
	}{
		// bash -c '/bin/true; /bin/true | cat': three children, each a program.
		{"strace-bash-pipeline.txt", 4, 4},
		// A Go agent: runtime threads are not processes.
		{"strace-go-agent.txt", 1, 1},
		// sh with a vfork strace split in two, and an execve that failed.
		{"strace-sh-vfork.txt", 4, 3},
	} {
		f, err := os.Open("testdata/" + c.file)
		require.NoError(t, err)
		procs, execs, err := countTrace(f)
		f.Close()
		require.NoError(t, err)
		assert.Equal(t, c.procs, procs, c.file)
		assert.Equal(t, c.execs, execs, c.file)
	}
}
