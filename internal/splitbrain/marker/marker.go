// Package marker records the split brains DRBD reported, one small JSON file
// per resource, so that `drbd-splitbrain status` can say "confirmed" rather
// than "suspected" for a StandAlone device and the ocf:mfs:drbd agent can
// refuse to reconnect into the same split brain.
//
// It is a leaf package on purpose: the resource agent reads one file here
// and must not pull in the recovery planner, the handlers or the backup code.
package marker

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Dir is where the split-brain handler records what DRBD reported. It lives
// on disk, not in /run, because an operator often looks only after a reboot
// of the victim.
const Dir = "/var/lib/ocf-mfs/split-brain"

// Marker is one recorded split brain.
type Marker struct {
	Resource    string    `json:"resource"`
	Minors      []int     `json:"minors,omitempty"`
	Peer        string    `json:"peer,omitempty"`
	PeerAddress string    `json:"peer_address,omitempty"`
	DetectedAt  time.Time `json:"detected_at"`
}

// Store keeps markers in Dir, one JSON file per resource.
type Store struct{ Dir string }

func (s Store) path(res string) string {
	// Resource names are drbd.conf identifiers, but a handler reads them
	// from the environment: keep a hostile one inside Dir.
	return filepath.Join(s.Dir, strings.ReplaceAll(filepath.Base(res), "..", "_")+".json")
}

// Record writes the marker of m.Resource atomically (write, then rename), so
// that a reader never sees half a file. DetectedAt is stored in UTC.
//
// Outcomes: nil once the file is in place; an error when Dir cannot be
// created or the file cannot be written or renamed (no partial file stays).
func (s Store) Record(m Marker) error {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return err
	}
	m.DetectedAt = m.DetectedAt.UTC()
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.Dir, ".marker-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.path(m.Resource))
}

// Load returns the marker of res.
//
// Outcomes: the marker; nil and no error when there is none; an error naming
// the file when it cannot be read or is not a marker.
func (s Store) Load(res string) (*Marker, error) {
	b, err := os.ReadFile(s.path(res))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var mk Marker
	if err := json.Unmarshal(b, &mk); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path(res), err)
	}
	return &mk, nil
}

// Clear removes the marker of res after a verified recovery or a reconnect.
//
// Outcomes: nil when removed or already absent; the removal error otherwise.
func (s Store) Clear(res string) error {
	err := os.Remove(s.path(res))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
