package drbd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
)

// note is what the agent remembers between actions on this node, in the
// resource agents' runtime folder (gone after a reboot, like the transient
// promotion score it mirrors): the minors drbdconf gives the resource's
// volumes (volume 0's first), so that a monitor need not fork drbdadm, and
// the last score written, so that it need not fork crm_attribute either.
//
// The minors are trusted while drbdconf's mtime is unchanged; a minor cannot
// change under a running device anyway, only across a stop and start, and
// both refresh the note.
type note struct {
	Conf      string `json:"conf,omitempty"`
	ConfMtime int64  `json:"conf_mtime,omitempty"`
	Minors    []int  `json:"minors,omitempty"`
	// Score is the last score written, -1 for "removed"; ScoreUptime is
	// when, in nanoseconds since boot; Attrd names the attribute daemon it
	// was written to (pid:starttime), "" when none was seen.
	Score       *int   `json:"score,omitempty"`
	ScoreUptime int64  `json:"score_uptime,omitempty"`
	Attrd       string `json:"attrd,omitempty"`
	// ScoreOf is the resource id the score was written for: the note is
	// kept per DRBD resource, and another id on it (a renamed or
	// re-created primitive) has a score of its own to write.
	ScoreOf string `json:"score_of,omitempty"`
}

func notePath(dir, res string) string {
	return filepath.Join(dir, "ocf-mfs-drbd-"+strings.ReplaceAll(filepath.Base(res), "..", "_")+".json")
}

// loadNote never fails: a missing or damaged note only costs a fork.
func loadNote(dir, res string) *note {
	n := &note{}
	if res == "" {
		return n
	}
	b, err := os.ReadFile(notePath(dir, res))
	if err != nil || json.Unmarshal(b, n) != nil {
		return &note{}
	}
	return n
}

func (n *note) save(dir, res string) error {
	if res == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".ocf-mfs-drbd-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), notePath(dir, res))
}

func removeNote(dir, res string) {
	if res != "" {
		os.Remove(notePath(dir, res))
	}
}
