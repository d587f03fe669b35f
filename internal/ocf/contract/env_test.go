package contract

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnvParams(t *testing.T) {
	e := NewEnv(MapLookup(map[string]string{
		"OCF_RESKEY_config":        "/etc/mfs/mfsmaster.cfg",
		"OCF_RESKEY_empty":         "",
		"OCF_RESKEY_auto_recovery": "No",
		"OCF_RESKEY_bad_bool":      "maybe",
		"OCF_RESKEY_count":         " 42 ",
		"OCF_RESKEY_bad_int":       "4x",
	}))
	v, ok := e.Param("config")
	assert.True(t, ok)
	assert.Equal(t, "/etc/mfs/mfsmaster.cfg", v)
	_, ok = e.Param("empty")
	assert.False(t, ok, "an empty parameter means the default")
	assert.Equal(t, "dflt", e.ParamOr("empty", "dflt"))
	assert.Equal(t, "dflt", e.ParamOr("missing", "dflt"))

	b, err := e.BoolParam("auto_recovery", true)
	require.NoError(t, err)
	assert.False(t, b)
	b, err = e.BoolParam("missing", true)
	require.NoError(t, err)
	assert.True(t, b)
	_, err = e.BoolParam("bad_bool", true)
	assert.ErrorContains(t, err, `bad_bool="maybe"`)

	n, err := e.IntParam("count", 1)
	require.NoError(t, err)
	assert.Equal(t, 42, n)
	_, err = e.IntParam("bad_int", 1)
	assert.ErrorContains(t, err, "not an integer")
}

func TestEnvBoolSpellings(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "YES": true, "on": true, "y": true, "1": true,
		"false": false, "no": false, "Off": false, "n": false, "0": false} {
		b, err := NewEnv(MapLookup(map[string]string{"OCF_RESKEY_x": v})).BoolParam("x", !want)
		require.NoError(t, err, v)
		assert.Equal(t, want, b, v)
	}
}

func TestEnvTimingAndProbe(t *testing.T) {
	e := NewEnv(MapLookup(map[string]string{
		"OCF_RESKEY_CRM_meta_timeout":  "20000",
		"OCF_RESKEY_CRM_meta_interval": "0",
		"OCF_CHECK_LEVEL":              "20",
	}))
	assert.Equal(t, 20*time.Second, e.Timeout())
	assert.Equal(t, time.Duration(0), e.Interval())
	assert.Equal(t, 20, e.CheckLevel())
	assert.True(t, e.IsProbe("monitor"))
	assert.False(t, e.IsProbe("start"))

	rec := NewEnv(MapLookup(map[string]string{"OCF_RESKEY_CRM_meta_interval": "10000", "OCF_CHECK_LEVEL": "x"}))
	assert.False(t, rec.IsProbe("monitor"))
	assert.Equal(t, 10*time.Second, rec.Interval())
	assert.Equal(t, 0, rec.CheckLevel(), "garbage check level falls back to 0")
	assert.Equal(t, time.Duration(0), rec.Timeout())

	neg := NewEnv(MapLookup(map[string]string{"OCF_RESKEY_CRM_meta_timeout": "-5"}))
	assert.Equal(t, time.Duration(0), neg.Timeout())
}

func TestEnvNodeName(t *testing.T) {
	e := NewEnv(MapLookup(map[string]string{"OCF_RESKEY_CRM_meta_on_node": "node2"}))
	assert.Equal(t, "node2", e.NodeName())
	e = NewEnv(nil)
	e.hostname = func() (string, error) { return "node1", nil }
	assert.Equal(t, "node1", e.NodeName())
}

func TestEnvCloneMetaBothNamings(t *testing.T) {
	old := NewEnv(MapLookup(map[string]string{
		"OCF_RESKEY_CRM_meta_clone_max": "2", "OCF_RESKEY_CRM_meta_clone_node_max": "1",
		"OCF_RESKEY_CRM_meta_master_max": "1", "OCF_RESKEY_CRM_meta_master_node_max": "1",
		"OCF_RESKEY_CRM_meta_notify": "true",
	})).Clone()
	assert.Equal(t, CloneMeta{IsClone: true, Max: 2, NodeMax: 1, PromotedMax: 1, PromotedNodeMax: 1, Notify: true, Promotable: true}, old)

	both := NewEnv(MapLookup(map[string]string{
		"OCF_RESKEY_CRM_meta_clone_max": "2", "OCF_RESKEY_CRM_meta_promoted_max": "2",
		"OCF_RESKEY_CRM_meta_master_max": "1", "OCF_RESKEY_CRM_meta_promotable": "true",
	})).Clone()
	assert.Equal(t, 2, both.PromotedMax, "the new name wins")
	assert.True(t, both.Promotable)
	assert.False(t, both.Notify)

	none := NewEnv(nil).Clone()
	assert.Equal(t, CloneMeta{}, none)
}

func TestEnvNotifyBothNamings(t *testing.T) {
	env := map[string]string{
		"OCF_RESKEY_CRM_meta_notify_type":             "pre",
		"OCF_RESKEY_CRM_meta_notify_operation":        "promote",
		"OCF_RESKEY_CRM_meta_notify_promote_resource": "p_drbd:1 ",
		"OCF_RESKEY_CRM_meta_notify_promote_uname":    "node2 ",
		"OCF_RESKEY_CRM_meta_notify_master_resource":  "p_drbd:0",
		"OCF_RESKEY_CRM_meta_notify_master_uname":     "node1",
		"OCF_RESKEY_CRM_meta_notify_slave_resource":   "p_drbd:1",
		"OCF_RESKEY_CRM_meta_notify_slave_uname":      "node2",
		"OCF_RESKEY_CRM_meta_notify_active_resource":  "p_drbd:0 p_drbd:1",
		"OCF_RESKEY_CRM_meta_notify_active_uname":     "node1 node2",
		"OCF_RESKEY_CRM_meta_notify_start_resource":   " ",
		"OCF_RESKEY_CRM_meta_notify_start_uname":      " ",
	}
	n := NewEnv(MapLookup(env)).Notify()
	assert.Equal(t, "pre", n.Type)
	assert.Equal(t, "promote", n.Operation)
	assert.Equal(t, []Peer{{"p_drbd:1", "node2"}}, n.Promote)
	assert.Equal(t, []Peer{{"p_drbd:0", "node1"}}, n.Promoted, "falls back to master_*")
	assert.Equal(t, []Peer{{"p_drbd:1", "node2"}}, n.Unpromoted, "falls back to slave_*")
	assert.Equal(t, []string{"node1", "node2"}, Unames(n.Active))
	assert.Nil(t, n.Start, "blank lists are empty")

	env["OCF_RESKEY_CRM_meta_notify_promoted_resource"] = "p_drbd:1"
	env["OCF_RESKEY_CRM_meta_notify_promoted_uname"] = "node2"
	n = NewEnv(MapLookup(env)).Notify()
	assert.Equal(t, []Peer{{"p_drbd:1", "node2"}}, n.Promoted, "the new name wins")

	assert.Equal(t, Notify{}, NewEnv(nil).Notify(), "no variables: an empty notification, no panic")
}

func TestZipPeersUnequal(t *testing.T) {
	assert.Equal(t, []Peer{{"a", "n1"}, {"", "n2"}}, zipPeers([]string{"a"}, []string{"n1", "n2"}))
}
