package mfs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ocf-mfs/ocf-mfs/internal/mfs/local"
)

// ErrMetadataFile is wrapped by every error about a metadata or changelog
// file that is not what MooseFS writes.
var ErrMetadataFile = errors.New("not a MooseFS metadata file")

// ParseMetadataHeader reads the version of a metadata file from its header,
// as mfsmaster does before it chooses which file to load (mfsmaster/metadata.c,
// meta_check_metadatafile, the same in 3.0.117 and 4.57):
//   - "MFSM NEW" (metadata.mfs.empty) is version 1;
//   - "MFSM x.y" is followed by 16 bytes: before format 2.0, 4 bytes and the
//     64-bit version; from 2.0, the 64-bit version and the 64-bit file
//     system id.
//
// The version is meta_version(): the number the next change will get, so a
// file of version V holds every change up to V-1. Outcomes: version and id
// (0 before format 2.0); an error wrapping ErrMetadataFile for another
// header; a read error.
func ParseMetadataHeader(r io.Reader) (version, id uint64, err error) {
	var sig [8]byte
	if _, err := io.ReadFull(r, sig[:]); err != nil {
		return 0, 0, fmt.Errorf("read metadata header: %w", err)
	}
	if string(sig[:]) == "MFSM NEW" {
		return 1, 0, nil
	}
	if string(sig[:5]) != "MFSM " || sig[5] < '1' || sig[5] > '9' || sig[6] != '.' || sig[7] < '0' || sig[7] > '9' {
		return 0, 0, fmt.Errorf("%w: header %q", ErrMetadataFile, sig[:])
	}
	var rest [16]byte
	if _, err := io.ReadFull(r, rest[:]); err != nil {
		return 0, 0, fmt.Errorf("read metadata header: %w", err)
	}
	if sig[5] < '2' {
		return binary.BigEndian.Uint64(rest[4:]), 0, nil
	}
	return binary.BigEndian.Uint64(rest[0:]), binary.BigEndian.Uint64(rest[8:]), nil
}

// ParseLastChange returns the version of the last complete change in the
// tail of a changelog. mfsmaster (changelog.c) and mfsmetalogger
// (masterconn.c, masterconn_metachanges_log) both write one change per line
// as "VERSION: CHANGE\n"; a line without its newline is still being written
// and does not count, as in masterconn_findlastlogversion. Outcomes: the
// version and true; 0 and false when the tail holds no complete line that
// starts with a version.
func ParseLastChange(tail []byte) (uint64, bool) {
	end := bytes.LastIndexByte(tail, '\n')
	for end > 0 {
		start := bytes.LastIndexByte(tail[:end], '\n') + 1
		if v, ok := changeVersion(tail[start:end]); ok {
			return v, true
		}
		end = start - 1
	}
	return 0, false
}

func changeVersion(line []byte) (uint64, bool) {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(line[:colon]), 10, 64)
	return v, err == nil
}

// tailSize is how much of a changelog's end is read: a change is one line,
// far shorter (MooseFS caps a logged change well under 64 KiB).
const tailSize = 64 << 10

// LastChange reads the version of the last complete change in the
// changelog at path, reading only its tail. Outcomes: the version and
// true; false for an empty file or one without a complete change; an error
// when it cannot be read.
func LastChange(path string) (uint64, bool, error) {
	f, err := local.OpenRegular(path)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, false, err
	}
	off := max(st.Size()-tailSize, 0)
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return 0, false, err
	}
	v, ok := ParseLastChange(buf)
	return v, ok, nil
}

// eofMark ends every complete metadata file of format 1.6 and later
// (metadata.c, meta_check_metadatafile).
const eofMark = "[MFS EOF MARKER]"

// MetadataVersion reads the version and id in the header of the metadata
// file at path (see ParseMetadataHeader), and checks its end the way
// mfsmaster does before it accepts it: a file of format 1.6 or later must
// end with the EOF marker, or it is a download or store cut short.
// Outcomes: version and id; an error wrapping ErrMetadataFile for a file
// mfsmaster would not load; an error wrapping os.ErrNotExist; a read error.
func MetadataVersion(path string) (version, id uint64, err error) {
	f, err := local.OpenRegular(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	var sig [8]byte
	if _, err := f.ReadAt(sig[:], 0); err != nil {
		return 0, 0, fmt.Errorf("%w: %s is too short", ErrMetadataFile, path)
	}
	if version, id, err = ParseMetadataHeader(f); err != nil || version == 1 && id == 0 {
		return version, id, err
	}
	if sig[5] > '1' || sig[7] >= '6' {
		st, err := f.Stat()
		if err != nil {
			return 0, 0, err
		}
		var end [len(eofMark)]byte
		if st.Size() < int64(len(sig)+len(end)) {
			return 0, 0, fmt.Errorf("%w: %s is truncated", ErrMetadataFile, path)
		}
		if _, err := f.ReadAt(end[:], st.Size()-int64(len(end))); err != nil || string(end[:]) != eofMark {
			return 0, 0, fmt.Errorf("%w: %s does not end with the EOF marker (truncated)", ErrMetadataFile, path)
		}
	}
	return version, id, nil
}

// FileSet names the files one daemon keeps in its DATA_PATH.
type FileSet struct {
	Metadata string // the newest full metadata file
	// Empty is where a file system that never stored its metadata has
	// it: the metalogger keeps the "MFSM NEW" it downloaded as
	// metadata_ml.tmp, because its check (masterconn_metadata_check)
	// wants an EOF marker "MFSM NEW" lacks; `mfsmaster -a` still loads
	// it, as every file whose name starts with "metadata".
	Empty      string
	Changelogs []string // the changelogs that can hold the newest changes, newest first
}

// MasterFiles are mfsmaster's own (metadata.c, changelog.c): metadata.mfs
// after a clean stop, metadata.mfs.back while running or after a crash,
// changelog.0.mfs the current changelog and changelog.1.mfs the one before
// the last hourly rotation.
var MasterFiles = FileSet{Metadata: "metadata.mfs.back", Empty: "metadata.mfs", Changelogs: []string{"changelog.0.mfs", "changelog.1.mfs"}}

// MetaloggerFiles are mfsmetalogger's (mfsmetalogger/masterconn.c):
// metadata_ml.mfs.back downloaded from the master on connection and every
// META_DOWNLOAD_FREQ hours; changelog_ml.0.mfs, to which every change the
// master sends is appended (and flushed once a second,
// masterconn_metachanges_flush), shifted to changelog_ml.1.mfs when the
// master rotates its changelog; changelog_ml_back.0.mfs and .1.mfs, the
// master's changelogs downloaded with the metadata.
var MetaloggerFiles = FileSet{Metadata: "metadata_ml.mfs.back", Empty: "metadata_ml.tmp",
	Changelogs: []string{"changelog_ml.0.mfs", "changelog_ml.1.mfs", "changelog_ml_back.0.mfs", "changelog_ml_back.1.mfs"}}

// Held is the metadata version a directory can rebuild.
type Held struct {
	// Next is the version the next change would get once the files are
	// loaded with `mfsmaster -a`: the same number as the running master's
	// meta_version(). 0 when the directory holds no metadata.
	Next uint64
	// ID is the file system id of the metadata file (0 before format 2.0
	// or for an empty file system).
	ID uint64
	// From names the file that gave Next.
	From string
}

// ReadHeld reads, without forking and opening a handful of files, the
// newest version the files of set in dir can rebuild: the highest of the
// metadata files' headers (metadata.mfs and metadata.mfs.back for the
// master, metadata_ml.mfs.back or the "MFSM NEW" of a new file system for
// the metalogger) and of the last complete change of each changelog. Changelogs without a
// metadata file rebuild nothing (`mfsmaster -a` needs one to start from),
// so Next is then 0. Outcomes: the version held (Next 0 when none); an
// error for a file that exists but cannot be read or is not MooseFS's.
func ReadHeld(dir string, set FileSet) (Held, error) {
	var h Held
	for _, name := range []string{set.Metadata, set.Empty} {
		v, id, err := MetadataVersion(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) || name == MetaloggerFiles.Empty && err != nil {
			// A metadata_ml.tmp being downloaded is not one yet.
			continue
		}
		if err != nil {
			return h, fmt.Errorf("%s: %w", name, err)
		}
		if name == MetaloggerFiles.Empty && v != 1 {
			continue
		}
		if v > h.Next {
			h = Held{Next: v, ID: id, From: name}
		}
	}
	if h.Next == 0 {
		return h, nil
	}
	for _, name := range set.Changelogs {
		v, ok, err := LastChange(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return h, fmt.Errorf("%s: %w", name, err)
		}
		if ok && v+1 > h.Next {
			h.Next, h.From = v+1, name
		}
	}
	return h, nil
}

// IsMetadataFile tells the files of a DATA_PATH that `mfsmaster -a` reads
// (metadata.c, meta_loadall: every name starting with "metadata";
// changelog.c, changelog_checkname: changelog.N.mfs, changelog_ml.N.mfs and
// changelog_ml_back.N.mfs), except metadata.mfs.empty, which a new file
// system starts from and which has version 1. They are what must never be
// mixed with another history.
func IsMetadataFile(name string) bool {
	if name == "metadata.mfs.empty" {
		return false
	}
	if strings.HasPrefix(name, "metadata") {
		return true
	}
	for _, p := range []string{"changelog.", "changelog_ml.", "changelog_ml_back."} {
		if n, ok := strings.CutPrefix(name, p); ok {
			num, ok := strings.CutSuffix(n, ".mfs")
			if _, err := strconv.ParseUint(num, 10, 32); ok && err == nil {
				return true
			}
		}
	}
	return false
}
