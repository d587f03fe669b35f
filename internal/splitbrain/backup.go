package splitbrain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
)

// Manifest describes a backup image, next to it as NAME.json.
type Manifest struct {
	Resource string          `json:"resource"`
	Node     string          `json:"node"`
	Source   string          `json:"source"` // the backing device that was read
	Size     int64           `json:"size"`
	SHA256   string          `json:"sha256"`
	Started  time.Time       `json:"started"`
	Finished time.Time       `json:"finished"`
	Device   drbdproc.Device `json:"device"`
	GI       *drbdproc.GI    `json:"gi,omitempty"`
	Note     string          `json:"note"`
}

const backupBlock = 1 << 20

// Backup copies src (the victim's backing device) into dir as
// RES-NODE-TIME.img, sparse: all-zero blocks are skipped with a seek, so an
// image of a mostly empty disk costs little space. It writes IMG.sha256 (in
// sha256sum's format, so `sha256sum -c` checks it) and IMG.json (a
// Manifest). The image is synced before Backup returns: it is the only copy
// of what the recovery is about to discard.
//
// We image the backing device, not /dev/drbdN: DRBD 8.4 refuses to open a
// Secondary device, and the backing device of a StandAlone node holds the
// same data (plus, with meta-disk internal, DRBD's meta-data at its end;
// mount the image with a loop device limited to the data size, or attach it
// with drbdadm, to read it).
func Backup(src, dir string, m Manifest, now func() time.Time) (string, error) {
	if now == nil {
		now = time.Now
	}
	m.Source = src
	m.Started = now().UTC()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("backup dir: %w", err)
	}
	in, err := os.Open(src)
	if err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	defer in.Close()
	name := fmt.Sprintf("%s-%s-%s.img", fileWord(m.Resource), fileWord(m.Node), m.Started.Format("20060102T150405Z"))
	img := filepath.Join(dir, name)
	out, err := os.OpenFile(img, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	size, sum, err := sparseCopy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return img, fmt.Errorf("backup %s to %s: %w", src, img, err)
	}
	m.Size, m.SHA256 = size, sum
	m.Finished = now().UTC()
	m.Note = "image of the backing device taken before discarding; with meta-disk internal DRBD's meta-data is at its end"
	if err := os.WriteFile(img+".sha256", []byte(sum+"  "+name+"\n"), 0o600); err != nil {
		return img, fmt.Errorf("backup checksum: %w", err)
	}
	js, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(img+".json", append(js, '\n'), 0o600); err != nil {
		return img, fmt.Errorf("backup manifest: %w", err)
	}
	return img, nil
}

// sparseCopy copies r to w, seeking over all-zero blocks, and returns the
// size and the sha256 of everything read (zeros included, so the checksum
// is that of the device).
func sparseCopy(w *os.File, r io.Reader) (int64, string, error) {
	h := sha256.New()
	buf := make([]byte, backupBlock)
	zero := make([]byte, backupBlock)
	var off int64
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			h.Write(buf[:n])
			if bytes.Equal(buf[:n], zero[:n]) {
				if _, serr := w.Seek(int64(n), io.SeekCurrent); serr != nil {
					return off, "", serr
				}
			} else if _, werr := w.Write(buf[:n]); werr != nil {
				return off, "", werr
			}
			off += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return off, "", err
		}
	}
	// A trailing hole needs the size set explicitly.
	if err := w.Truncate(off); err != nil {
		return off, "", err
	}
	return off, hex.EncodeToString(h.Sum(nil)), nil
}

// fileWord keeps a name usable as part of a file name in one directory:
// anything but letters, digits, '.', '_' and '-' becomes '_', so a host or
// resource name cannot lead elsewhere ("/" included).
func fileWord(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, s)
}
