//go:build integration

package integration

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestFailedActionMatchesPacemaker20And30 checks the crm_mon patterns
// against lines crm_mon printed in this suite in the version matrix:
// Pacemaker 2.0.5 (Debian 11) and 3.0.0 (Debian 13). Pacemaker 2.1's lines
// are checked by the suite itself on Debian 12.
func TestFailedActionMatchesPacemaker20And30(t *testing.T) {
	for _, c := range []struct{ line, re string }{
		{`  * p_mfs_monitor_5000 on matrix 'not running' (7): call=8, status='complete', exitreason='not running', last-rc-change='2026-11-27 13:40:46Z', queued=0ms, exec=0ms`,
			failedAction("p_mfs", "monitor", "5", "not running", "")},
		{`  * p_mfs_monitor_5000 on matrix 'error' (1): call=23, status='complete', exitreason='mfsmaster (pid 1048) is stopped (state T) and serves no one', last-rc-change='2026-11-27 13:41:05Z', queued=0ms, exec=0ms`,
			failedAction("p_mfs", "monitor", `\d+`, "error", `mfsmaster \(pid 1048\) is stopped`)},
		{`  * p_bad_start_0 on matrix 'error' (1): call=46, status='complete', exitreason='DATA_PATH /tmp/ocf-mfs-local/master/data-missing does not exist', last-rc-change='2026-11-27 13:41:16Z', queued=0ms, exec=5ms`,
			failedAction("p_bad", "start", "", "error", `DATA_PATH \S+-missing does not exist`)},
		{`  * p_mfs 5s-interval monitor on matrix returned 'Not running' (not running) at Fri Nov 27 13:52:38 2026`,
			failedAction("p_mfs", "monitor", "5", "not running", "")},
		{`  * p_mfs 5s-interval monitor on matrix returned 'Error occurred' (mfsmaster (pid 983) is stopped (state T) and serves no one) at Fri Nov 27 13:52:55 2026`,
			failedAction("p_mfs", "monitor", `\d+`, "error", `mfsmaster \(pid 983\) is stopped`)},
		{`  * p_bad start on matrix returned 'Error occurred' (DATA_PATH /tmp/ocf-mfs-local/master/data-missing does not exist) at Fri Nov 27 13:53:15 2026 after 8ms`,
			failedAction("p_bad", "start", "", "error", `DATA_PATH \S+-missing does not exist`)},
	} {
		assert.Regexp(t, c.re, c.line)
	}
	// A different pid, interval or result must not match.
	pcmk20 := `  * p_mfs_monitor_5000 on matrix 'error' (1): call=23, status='complete', exitreason='mfsmaster (pid 1048) is stopped (state T) and serves no one'`
	assert.NotRegexp(t, failedAction("p_mfs", "monitor", `\d+`, "error", `mfsmaster \(pid 1049\) is stopped`), pcmk20)
	assert.NotRegexp(t, failedAction("p_mfs", "monitor", "20", "error", ""), pcmk20)
	pcmk30 := `  * p_mfs 5s-interval monitor on matrix returned 'Not running' (not running) at Fri Nov 27 13:52:38 2026`
	assert.NotRegexp(t, failedAction("p_mfs", "monitor", "5", "error", ""), pcmk30)
}
