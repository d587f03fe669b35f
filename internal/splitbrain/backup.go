package splitbrain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
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
	Volume   int             `json:"volume"` // in drbdadm's order of the resource's volumes
	Device   drbdproc.Device `json:"device"`
	GI       *drbdproc.GI    `json:"gi,omitempty"`
	Note     string          `json:"note"`
}

const backupBlock = 1 << 20

// sidecarRoom is what the checksum and manifest files may take on top of
// the image: a few KiB each, rounded up generously.
const sidecarRoom = 1 << 20

// ErrNoSpace is wrapped by Backup's error when the backup directory cannot
// hold an image of the whole device.
var ErrNoSpace = errors.New("not enough free space for the backup")

// Backuper images a victim's backing device before resolve discards it.
// Every field may be left zero on a real system but Runner.
type Backuper struct {
	// Runner runs `blockdev --getsize64` for the size of a block device.
	Runner runner.Runner
	// Statfs returns the bytes an unprivileged writer may still use in
	// dir; statfs(2)'s f_bavail × f_bsize when nil.
	Statfs func(dir string) (uint64, error)
	Now    func() time.Time

	// fsync syncs one file or directory; (*os.File).Sync when nil. Tests
	// record what was synced.
	fsync func(f *os.File) error
}

// Image is one device for BackupAll: the backing device of one volume and
// what its manifest records.
type Image struct {
	Src      string
	Manifest Manifest
}

// Backup copies src (the victim's backing device) into dir as
// RES-NODE-TIME.img: BackupAll for one device.
func (b Backuper) Backup(ctx context.Context, src, dir string, m Manifest) (string, error) {
	imgs, err := b.BackupAll(ctx, dir, []Image{{Src: src, Manifest: m}})
	if err != nil {
		return "", err
	}
	return imgs[0], nil
}

// BackupAll copies every device (the backing devices of a resource's
// volumes, all of which `drbdadm connect --discard-my-data` discards) into
// dir as RES-NODE-TIME.img, or RES-vN-NODE-TIME.img for volume N of a
// resource with several, sparse: all-zero blocks are skipped with a seek,
// so an image of a mostly empty disk costs little space. Beside each image
// it writes IMG.sha256 (in sha256sum's format, so `sha256sum -c` checks it)
// and IMG.json (a Manifest).
//
// The images are the only copy of what the recovery is about to discard,
// so they must be whole or absent: dir must have room for every device
// before anything is written (a sparse image may need less, but a full
// disk mid-copy is the failure to avoid); each file is written under a
// hidden temporary name, synced, and renamed into place, the images last,
// then the directory is synced. A read of fewer or more bytes than a
// device's size is an error.
//
// We image the backing device, not /dev/drbdN: DRBD 8.4 refuses to open a
// Secondary device, and the backing device of a StandAlone node holds the
// same data (plus, with meta-disk internal, DRBD's meta-data at its end;
// mount the image with a loop device limited to the data size, or attach it
// with drbdadm, to read it).
//
// Outcomes: the images' paths, in the order of imgs, synced with their
// sidecars; or an error, with nothing of this backup left in dir:
// ErrNoSpace wrapped when dir is too small for them all, otherwise the
// failing size query, read, write, sync or rename.
func (b Backuper) BackupAll(ctx context.Context, dir string, imgs []Image) ([]string, error) {
	now := b.Now
	if now == nil {
		now = time.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("backup dir: %w", err)
	}
	ins := make([]*os.File, len(imgs))
	defer func() {
		for _, in := range ins {
			if in != nil {
				in.Close()
			}
		}
	}()
	sizes := make([]int64, len(imgs))
	var total int64
	for i, im := range imgs {
		in, err := os.Open(im.Src)
		if err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		ins[i] = in
		if sizes[i], err = b.deviceSize(ctx, in, im.Src); err != nil {
			return nil, fmt.Errorf("backup: size of %s: %w", im.Src, err)
		}
		total += sizes[i]
	}
	if err := b.checkRoom(dir, total, len(imgs)); err != nil {
		return nil, err
	}

	t := &tempFiles{sync: b.sync}
	defer t.removeAll()
	var paths []string
	for i, im := range imgs {
		m := im.Manifest
		m.Source = im.Src
		m.Started = now().UTC()
		stem := fileWord(m.Resource)
		if len(imgs) > 1 {
			stem += fmt.Sprintf("-v%d", m.Volume)
		}
		name := fmt.Sprintf("%s-%s-%s.img", stem, fileWord(m.Node), m.Started.Format("20060102T150405Z"))
		img := filepath.Join(dir, name)
		// Renaming would replace an image of an earlier resolve of the
		// same second; the resolve lock makes that unlikely, this makes
		// it harmless.
		if _, err := os.Lstat(img); err == nil {
			return nil, fmt.Errorf("backup: %s already exists", img)
		}
		imgTmp, err := t.create(dir, name)
		if err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		n, sum, err := sparseCopy(imgTmp, ins[i])
		if err == nil && n != sizes[i] {
			err = fmt.Errorf("read %d bytes of a %d-byte device", n, sizes[i])
		}
		if err == nil {
			err = t.finish(imgTmp)
		} else {
			imgTmp.Close()
		}
		if err != nil {
			return nil, fmt.Errorf("backup %s to %s: %w", im.Src, img, err)
		}
		m.Size, m.SHA256 = n, sum
		m.Finished = now().UTC()
		m.Note = "image of the backing device taken before discarding; with meta-disk internal DRBD's meta-data is at its end"
		js, _ := json.MarshalIndent(m, "", "  ")
		sidecars := []struct{ suffix, body string }{{".sha256", sum + "  " + name + "\n"}, {".json", string(js) + "\n"}}
		for _, s := range sidecars {
			if err := t.write(dir, name+s.suffix, s.body); err != nil {
				return nil, fmt.Errorf("backup %s: %w", s.suffix, err)
			}
		}
		paths = append(paths, img)
	}
	// Renamed in reverse: every image comes after its sidecars, so an
	// image under its final name always has its checksum and manifest.
	if err := t.rename(dir); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return paths, nil
}

func (b Backuper) sync(f *os.File) error {
	if b.fsync != nil {
		return b.fsync(f)
	}
	return f.Sync()
}

// deviceSize is the size of a regular file (a copy of a disk) from stat, or
// of a block device from `blockdev --getsize64`: stat reports 0 for a
// block device.
func (b Backuper) deviceSize(ctx context.Context, f *os.File, path string) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if st.Mode().IsRegular() {
		return st.Size(), nil
	}
	if b.Runner == nil {
		return 0, errors.New("no runner for blockdev --getsize64")
	}
	res, err := runner.Check(ctx, b.Runner, "blockdev", "--getsize64", path)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(res.Stdout), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("blockdev --getsize64 %s printed %q, not a size", path, strings.TrimSpace(res.Stdout))
	}
	return n, nil
}

// checkRoom refuses when dir cannot take size bytes plus the sidecars of
// n images.
func (b Backuper) checkRoom(dir string, size int64, n int) error {
	statfs := b.Statfs
	if statfs == nil {
		statfs = freeBytes
	}
	free, err := statfs(dir)
	if err != nil {
		return fmt.Errorf("backup: free space in %s: %w", dir, err)
	}
	if need := uint64(size) + uint64(n)*sidecarRoom; free < need {
		what := fmt.Sprintf("an image of the %d MiB device needs", size>>20)
		if n > 1 {
			what = fmt.Sprintf("images of the %d devices (%d MiB) need", n, size>>20)
		}
		return fmt.Errorf("%w: %s has %d MiB free, %s %d MiB", ErrNoSpace, dir, free>>20, what, (need+(1<<20)-1)>>20)
	}
	return nil
}

// freeBytes is statfs(2)'s space available to unprivileged writers: the
// blocks reserved for root are left to the system that needs them.
func freeBytes(dir string) (uint64, error) {
	var s syscall.Statfs_t
	if err := syscall.Statfs(dir, &s); err != nil {
		return 0, err
	}
	return s.Bavail * uint64(s.Bsize), nil
}

// tempFiles are the hidden files of one backup, renamed into place
// together; removeAll deletes what was not.
type tempFiles struct {
	sync  func(*os.File) error
	files []tempFile
}

type tempFile struct{ tmp, final string }

// create opens a hidden temporary file in dir that will become final.
func (t *tempFiles) create(dir, final string) (*os.File, error) {
	f, err := os.CreateTemp(dir, "."+final+".*.partial")
	if err != nil {
		return nil, err
	}
	t.files = append(t.files, tempFile{tmp: f.Name(), final: final})
	return f, nil
}

// finish syncs and closes f.
func (t *tempFiles) finish(f *os.File) error {
	err := t.sync(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// write creates final's temporary file in dir with body, synced.
func (t *tempFiles) write(dir, final, body string) error {
	f, err := t.create(dir, final)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(body); err != nil {
		f.Close()
		return err
	}
	return t.finish(f)
}

// rename moves every file into place, the first created last, and syncs
// dir so that the renames survive a crash.
func (t *tempFiles) rename(dir string) error {
	for i := len(t.files) - 1; i >= 0; i-- {
		f := t.files[i]
		if err := os.Rename(f.tmp, filepath.Join(dir, f.final)); err != nil {
			return err
		}
		t.files[i].tmp = filepath.Join(dir, f.final) // removed on a later failure
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := t.sync(d); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	t.files = nil
	return nil
}

func (t *tempFiles) removeAll() {
	for _, f := range t.files {
		os.Remove(f.tmp)
	}
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
