package local

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseProcStatRealCaptures(t *testing.T) {
	for _, c := range []struct {
		fixture string
		want    procStat
	}{
		{"proc-stat-mfsmaster.txt", procStat{PID: 23352, Comm: "mfsmaster", State: "S", PPID: 1, Start: 2364136}},
		{"proc-stat-mfsmaster-writer.txt", procStat{PID: 23353, Comm: "mfsmaster", State: "S", PPID: 23352, Start: 2364138}},
		{"proc-stat-mfsmaster-zombie.txt", procStat{PID: 22390, Comm: "mfsmaster", State: "Z", PPID: 1, Start: 2363149}},
		{"proc-stat-sleep-stopped.txt", procStat{PID: 24203, Comm: "sleep", State: "T", PPID: 24198, Start: 2364964}},
		{"proc-stat-kworker.txt", procStat{PID: 10, Comm: "kworker/0:0H-kblockd", State: "I", PPID: 2, Start: 24}},
		// A program whose file name is "m) S 1 (x) ": the comm ends at the
		// last ')', or the parser reads state S and ppid 1 from the name.
		{"proc-stat-odd-comm.txt", procStat{PID: 25849, Comm: "m) S 1 (x) ", State: "S", PPID: 25848, Start: 2367677}},
	} {
		assert.Equal(t, c.want, parseFixture(t, c.fixture, parseProcStat), c.fixture)
	}
}

// parseFixture runs parse over testdata/name, which must parse.
func parseFixture[T any](t *testing.T, name string, parse func(io.Reader) (T, error)) T {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer f.Close()
	got, err := parse(f)
	require.NoError(t, err, name)
	return got
}

func TestParseProcStatRefusesMalformedLines(t *testing.T) {
	// Synthetic: each breaks one thing the parser relies on.
	for _, s := range []string{
		"",
		"23352 mfsmaster S 1 23351 23351 0 -1 4194624 51343 0 0 0 4 7 0 0 1 -19 1 0 2364136\n",   // no parentheses
		"23352 (mfsmaster S 1 23351 23351 0 -1 4194624 51343 0 0 0 4 7 0 0 1 -19 1 0 2364136\n",  // no ')'
		"23352 (mfsmaster) S 1 23351 23351 0 -1 4194624 51343 0 0 0 4 7 0 0 1 -19 1 0\n",         // ends before starttime
		"23352 (mfsmaster) S x 23351 23351 0 -1 4194624 51343 0 0 0 4 7 0 0 1 -19 1 0 2364136\n", // ppid not a number
		"23352 (mfsmaster) S 1 23351 23351 0 -1 4194624 51343 0 0 0 4 7 0 0 1 -19 1 0 -5\n",      // negative starttime
		"x (mfsmaster) S 1 23351 23351 0 -1 4194624 51343 0 0 0 4 7 0 0 1 -19 1 0 2364136\n",     // pid not a number
	} {
		_, err := parseProcStat(strings.NewReader(s))
		assert.ErrorIs(t, err, ErrFileParse, "%q", s)
	}
}
