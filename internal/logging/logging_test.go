package logging

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoggerFileAndDebugGating(t *testing.T) {
	dir := t.TempDir()
	logf, dbgf := filepath.Join(dir, "ha.log"), filepath.Join(dir, "debug.log")
	env := map[string]string{
		"HA_LOGFACILITY": "none", "HA_LOGFILE": logf, "HA_DEBUGLOG": dbgf, "OCF_RESOURCE_INSTANCE": "mfs",
	}
	var stderr bytes.Buffer
	l := New("ocf-mfsmaster", env["OCF_RESOURCE_INSTANCE"], lookup(env), &stderr)
	assert.False(t, l.Debug)
	l.Infof("started pid %d", 42)
	l.Debugf("hidden")
	main, err := os.ReadFile(logf)
	require.NoError(t, err)
	assert.Contains(t, string(main), "ocf-mfsmaster(mfs)[")
	assert.Contains(t, string(main), "INFO: started pid 42")
	assert.NotContains(t, string(main), "hidden")
	assert.Empty(t, stderr.String(), "a configured log file replaces the stderr fallback")

	env = map[string]string{"HA_LOGFACILITY": "none", "HA_DEBUGLOG": dbgf, "HA_DEBUG": "1"}
	l = New("ocf-mfsmaster", env["OCF_RESOURCE_INSTANCE"], lookup(env), &stderr)
	assert.True(t, l.Debug)
	l.Debugf("shown")
	dbg, err := os.ReadFile(dbgf)
	require.NoError(t, err)
	assert.Contains(t, string(dbg), "DEBUG: shown")
}

func TestLoggerFallsBackToStderr(t *testing.T) {
	var stderr bytes.Buffer
	l := New("ocf-mfsdrbd", map[string]string{"HA_LOGFACILITY": "none", "OCF_TRACE_RA": "1"}["OCF_RESOURCE_INSTANCE"], lookup(map[string]string{"HA_LOGFACILITY": "none", "OCF_TRACE_RA": "1"}), &stderr)
	l.Warnf("peer %s unknown", "node2")
	l.Debugf("trace on")
	assert.Equal(t, "ocf-mfsdrbd: WARNING: peer node2 unknown\nocf-mfsdrbd: DEBUG: trace on\n", stderr.String())
	var nilLogger *Logger
	nilLogger.Errorf("must not panic")
}

func lookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// Under Pacemaker HA_LOGFACILITY names a syslog facility, and the logger
// connected to the journal or to syslog as it was built: every monitor,
// every 10 s on every node, paid for a connection it almost never used
// (a healthy monitor logs nothing). The system log is reached on the first
// line; with neither reachable, lines go to stderr as before.
func TestLoggerReachesTheSystemLogOnlyWhenItLogs(t *testing.T) {
	opened := 0
	var got bytes.Buffer
	defer func(o func(string, string, string) Sink) { openSystemLog = o }(openSystemLog)
	openSystemLog = func(facility, agent, instance string) Sink {
		opened++
		assert.Equal(t, "daemon", facility)
		return writerSink{w: &got}
	}
	var stderr bytes.Buffer
	l := New("ocf-mfsmaster", "mfs", lookup(map[string]string{"HA_LOGFACILITY": "daemon"}), &stderr)
	assert.Zero(t, opened, "no connection before the first line")
	l.Debugf("not logged without HA_DEBUG")
	assert.Zero(t, opened)
	l.Infof("one")
	l.Warnf("two")
	assert.Equal(t, 1, opened, "one connection for every line")
	assert.Equal(t, "ocf-mfsmaster(mfs): INFO: one\nocf-mfsmaster(mfs): WARNING: two\n", got.String())
	assert.Empty(t, stderr.String())

	openSystemLog = func(string, string, string) Sink { return nil }
	l = New("ocf-mfsmaster", "mfs", lookup(map[string]string{"HA_LOGFACILITY": "daemon"}), &stderr)
	l.Errorf("no system log here")
	assert.Equal(t, "ocf-mfsmaster(mfs): ERROR: no system log here\n", stderr.String(), "stderr when no system log answers")
}
