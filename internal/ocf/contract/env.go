package contract

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// LookupFunc reads one environment variable; os.LookupEnv in production, a
// map in tests, so no test depends on the environment it happens to run in.
type LookupFunc func(key string) (string, bool)

// MapLookup serves variables from a map.
func MapLookup(m map[string]string) LookupFunc {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// Env is the environment Pacemaker (or ocf-tester, or an operator running
// the agent by hand) hands to an action.
type Env struct {
	lookup   LookupFunc
	hostname func() (string, error)
}

// NewEnv reads the environment through lookup. A nil lookup means an empty
// environment, which is what meta-data must cope with.
func NewEnv(lookup LookupFunc) *Env {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	return &Env{lookup: lookup, hostname: os.Hostname}
}

// Get returns a raw environment variable.
func (e *Env) Get(key string) (string, bool) { return e.lookup(key) }

// Param returns OCF_RESKEY_<name>. An empty value counts as unset, because
// Pacemaker passes unset parameters as absent and crmsh users who write
// `param=""` mean the default.
func (e *Env) Param(name string) (string, bool) {
	v, ok := e.lookup("OCF_RESKEY_" + name)
	if !ok || v == "" {
		return "", false
	}
	return v, true
}

// ParamOr returns the parameter or def when it is unset.
func (e *Env) ParamOr(name, def string) string {
	if v, ok := e.Param(name); ok {
		return v
	}
	return def
}

// BoolParam reads a boolean parameter the way Pacemaker's crm_is_true does:
// true/yes/on/y/1 and false/no/off/n/0, in any case. Anything else is an
// error naming the parameter, which agents report as ErrConfigured.
func (e *Env) BoolParam(name string, def bool) (bool, error) {
	v, ok := e.Param(name)
	if !ok {
		return def, nil
	}
	b, ok := parseBool(v)
	if !ok {
		return def, fmt.Errorf("parameter %s=%q is not a boolean (use true or false)", name, v)
	}
	return b, nil
}

// IntParam reads an integer parameter.
func (e *Env) IntParam(name string, def int) (int, error) {
	v, ok := e.Param(name)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return def, fmt.Errorf("parameter %s=%q is not an integer", name, v)
	}
	return n, nil
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "on", "y", "1":
		return true, true
	case "false", "no", "off", "n", "0":
		return false, true
	}
	return false, false
}

// Instance is OCF_RESOURCE_INSTANCE, e.g. "p_drbd_r0:1" for a clone
// instance. It is "" when the agent is run by hand without one.
func (e *Env) Instance() string {
	v, _ := e.lookup("OCF_RESOURCE_INSTANCE")
	return v
}

// CheckLevel is OCF_CHECK_LEVEL (0, 10 or 20); 0 when unset or invalid.
func (e *Env) CheckLevel() int {
	v, ok := e.lookup("OCF_CHECK_LEVEL")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// Timeout is the action's timeout, OCF_RESKEY_CRM_meta_timeout (ms); 0 when
// Pacemaker did not set one (ocf-tester, a manual run).
func (e *Env) Timeout() time.Duration { return e.millis("OCF_RESKEY_CRM_meta_timeout") }

// Interval is the monitor interval, OCF_RESKEY_CRM_meta_interval (ms); 0 for
// a probe or any non-recurring action.
func (e *Env) Interval() time.Duration { return e.millis("OCF_RESKEY_CRM_meta_interval") }

func (e *Env) millis(key string) time.Duration {
	v, ok := e.lookup(key)
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Millisecond
}

// IsProbe tells whether a monitor is a probe: Pacemaker probes with interval
// 0 to learn what runs where, and a probe must answer 7 for "not here" rather
// than an error, even when this node cannot run the resource right now.
func (e *Env) IsProbe(action string) bool {
	return (action == "monitor" || action == "status") && e.Interval() == 0
}

// NodeName is the cluster node name: OCF_RESKEY_CRM_meta_on_node when
// Pacemaker set it, else the host name, which is what Pacemaker uses by
// default (uname -n).
func (e *Env) NodeName() string {
	if v, ok := e.lookup("OCF_RESKEY_CRM_meta_on_node"); ok && v != "" {
		return v
	}
	if h, err := e.hostname(); err == nil {
		return h
	}
	return ""
}

// CloneMeta holds the clone and promotable meta attributes of the resource.
type CloneMeta struct {
	IsClone         bool // clone_max was passed
	Max             int  // clone-max
	NodeMax         int  // clone-node-max
	PromotedMax     int  // promoted-max (master-max)
	PromotedNodeMax int  // promoted-node-max (master-node-max)
	Notify          bool
	Promotable      bool
}

// Clone reads the clone meta attributes. Pacemaker 2.1 passes the old
// master_* names next to the promoted_* ones, older releases only the old
// names; either is accepted, the new name winning.
func (e *Env) Clone() CloneMeta {
	var m CloneMeta
	intMeta := func(names ...string) (int, bool) {
		for _, n := range names {
			if v, ok := e.lookup("OCF_RESKEY_CRM_meta_" + n); ok && v != "" {
				if i, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
					return i, true
				}
			}
		}
		return 0, false
	}
	boolMeta := func(name string) bool {
		v, _ := e.lookup("OCF_RESKEY_CRM_meta_" + name)
		b, _ := parseBool(v)
		return b
	}
	m.Max, m.IsClone = intMeta("clone_max")
	m.NodeMax, _ = intMeta("clone_node_max")
	m.PromotedMax, _ = intMeta("promoted_max", "master_max")
	m.PromotedNodeMax, _ = intMeta("promoted_node_max", "master_node_max")
	m.Notify = boolMeta("notify")
	m.Promotable = boolMeta("promotable") || m.PromotedMax > 0
	return m
}

// Peer is one entry of a notification list: a resource instance and the node
// it is (or will be) on.
type Peer struct {
	Resource string
	Uname    string
}

// Notify is what Pacemaker tells a clone instance in a notify action.
type Notify struct {
	Type       string // "pre" or "post"
	Operation  string // "start", "stop", "promote" or "demote"
	Start      []Peer
	Stop       []Peer
	Active     []Peer
	Inactive   []Peer
	Promote    []Peer
	Demote     []Peer
	Promoted   []Peer // was "master"
	Unpromoted []Peer // was "slave"
}

// Notify reads the notify variables. Pacemaker 2.1 sets both the
// promoted/unpromoted and the master/slave names; older releases only the
// latter, so each list falls back to its old name.
func (e *Env) Notify() Notify {
	get := func(key string) string {
		v, _ := e.lookup("OCF_RESKEY_CRM_meta_notify_" + key)
		return v
	}
	list := func(names ...string) []Peer {
		for _, n := range names {
			rs, us := get(n+"_resource"), get(n+"_uname")
			if strings.TrimSpace(rs) == "" && strings.TrimSpace(us) == "" {
				continue
			}
			return zipPeers(strings.Fields(rs), strings.Fields(us))
		}
		return nil
	}
	return Notify{
		Type:       get("type"),
		Operation:  get("operation"),
		Start:      list("start"),
		Stop:       list("stop"),
		Active:     list("active"),
		Inactive:   list("inactive"),
		Promote:    list("promote"),
		Demote:     list("demote"),
		Promoted:   list("promoted", "master"),
		Unpromoted: list("unpromoted", "slave"),
	}
}

// zipPeers pairs resource names with node names. The lists are parallel;
// should Pacemaker ever pass them unequal, the missing side is left empty
// rather than guessed.
func zipPeers(rs, us []string) []Peer {
	n := len(rs)
	if len(us) > n {
		n = len(us)
	}
	out := make([]Peer, n)
	for i := range out {
		if i < len(rs) {
			out[i].Resource = rs[i]
		}
		if i < len(us) {
			out[i].Uname = us[i]
		}
	}
	return out
}

// Unames returns the node names of a notification list.
func Unames(ps []Peer) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		if p.Uname != "" {
			out = append(out, p.Uname)
		}
	}
	return out
}
