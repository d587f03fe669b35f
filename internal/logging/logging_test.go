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
