// Package shell checks the project's own shell scripts for mistakes that
// only show as rare, timing-dependent failures on a user's machine.
package shell

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	testrepo "github.com/ocf-mfs/ocf-mfs/test/repo"
)

var repo = testrepo.Root()

var (
	pipefail  = regexp.MustCompile(`^\s*set\s+(-[a-zA-Z]*o\s+pipefail|-o\s+pipefail)`)
	grepQuiet = regexp.MustCompile(`\|\s*grep\s+(-[a-zA-Z]*q|--quiet|--silent)`)
)

// scripts lists the shell scripts git tracks: files ending in .sh and files
// whose first line names bash or sh.
func scripts(t *testing.T) []string {
	out, err := exec.Command("git", "-C", repo, "ls-files").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	var files []string
	for _, f := range strings.Fields(string(out)) {
		p := filepath.Join(repo, f)
		if strings.HasSuffix(f, ".sh") {
			files = append(files, p)
			continue
		}
		fh, err := os.Open(p)
		if err != nil {
			continue
		}
		first, _ := bufio.NewReader(fh).ReadString('\n')
		fh.Close()
		if strings.HasPrefix(first, "#!") && (strings.Contains(first, "bash") || strings.HasSuffix(strings.TrimSpace(first), "/sh")) {
			files = append(files, p)
		}
	}
	return files
}

// Under pipefail, `producer | grep -q PATTERN` is false whenever grep finds
// the pattern and exits before the producer has written everything: the
// producer then dies of SIGPIPE (or Python's BrokenPipeError) and its
// status wins. `make demo` failed this way on mfscli's output, in CI and
// in one run of three here: the master answered, the check said it did not.
func TestNoQuietGrepUnderPipefail(t *testing.T) {
	files := scripts(t)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		lines := strings.Split(string(b), "\n")
		strict := false
		for _, l := range lines {
			if pipefail.MatchString(l) {
				strict = true
			}
		}
		if !strict {
			continue
		}
		rel, _ := filepath.Rel(repo, f)
		for i, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), "#") {
				continue
			}
			assert.False(t, grepQuiet.MatchString(l),
				"%s:%d: '| grep -q' in a pipefail script fails when the producer is cut short; capture the output first: %s",
				rel, i+1, strings.TrimSpace(l))
		}
	}
}

func TestTheCheckSeesAQuietGrep(t *testing.T) {
	assert.True(t, grepQuiet.MatchString(`mfscli -SIN 2>/dev/null | grep -q 'master version'`))
	assert.True(t, grepQuiet.MatchString(`x |grep -Eq y`))
	assert.False(t, grepQuiet.MatchString(`grep -q y file`))
	assert.True(t, pipefail.MatchString(`set -euo pipefail`))
	assert.True(t, pipefail.MatchString(`set -o pipefail`))
	assert.False(t, pipefail.MatchString(`set -eu`))
}
