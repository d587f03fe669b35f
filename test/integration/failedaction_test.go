//go:build integration

package integration

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestFailedActionMatchesPacemaker20 checks the crm_mon patterns against
// lines Pacemaker 2.0.5's crm_mon printed in this suite on Debian 11 (the
// version matrix), and that for Pacemaker 2.1 and later they still hold
// the patterns the suite has always asserted.
func TestFailedActionMatchesPacemaker20(t *testing.T) {
	pcmk20 := []struct{ line, re string }{
		{`  * p_mfs_monitor_5000 on matrix 'not running' (7): call=8, status='complete', exitreason='not running', last-rc-change='2026-11-27 13:40:46Z', queued=0ms, exec=0ms`,
			failedAction("p_mfs", "monitor", "5", "not running", "")},
		{`  * p_mfs_monitor_5000 on matrix 'error' (1): call=23, status='complete', exitreason='mfsmaster (pid 1048) is stopped (state T) and serves no one', last-rc-change='2026-11-27 13:41:05Z', queued=0ms, exec=0ms`,
			failedAction("p_mfs", "monitor", `\d+`, "error", `mfsmaster \(pid 1048\) is stopped`)},
		{`  * p_bad_start_0 on matrix 'error' (1): call=46, status='complete', exitreason='DATA_PATH /tmp/ocf-mfs-local/master/data-missing does not exist', last-rc-change='2026-11-27 13:41:16Z', queued=0ms, exec=5ms`,
			failedAction("p_bad", "start", "", "error", `DATA_PATH \S+-missing does not exist`)},
	}
	for _, c := range pcmk20 {
		assert.Regexp(t, c.re, c.line)
	}
	// A different pid, interval or reason must not match.
	assert.NotRegexp(t, failedAction("p_mfs", "monitor", `\d+`, "error", `mfsmaster \(pid 1049\) is stopped`), pcmk20[1].line)
	assert.NotRegexp(t, failedAction("p_mfs", "monitor", "20", "not running", ""), pcmk20[0].line)

	for re, was := range map[string]string{
		failedAction("p_mfs", "monitor", "5", "not running", ""):                            `p_mfs 5s-interval monitor on \S+ returned 'not running'`,
		failedAction("p_mfs", "monitor", `\d+`, "error", `mfsmaster \(pid 7\) is stopped`):  `p_mfs \d+s-interval monitor on \S+ returned 'error' \(mfsmaster \(pid 7\) is stopped`,
		failedAction("p_bad", "start", "", "error", `DATA_PATH \S+-missing does not exist`): `p_bad start on \S+ returned 'error' \(DATA_PATH \S+-missing does not exist`,
	} {
		regexp.MustCompile(re)
		assert.True(t, strings.HasPrefix(re, "("+was+"|"), "%s keeps %s", re, was)
	}
}
