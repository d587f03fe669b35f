package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"time"
)

// Client writes as an application on the MooseFS mount does: it creates
// files, appends to them and fsyncs, and records in Record every write
// whose fsync returned success (FormatAck) and every failed one
// (FormatFail), syncing the record after each line. After a failure it
// leaves the file (its end is unknown) and starts a new one.
type Client struct {
	Dir    string // where files are written (on the mount)
	Name   string // prefix of the files, unique per client run
	Record interface {
		io.Writer
		Sync() error
	}
	Rand     *rand.Rand
	Pause    time.Duration // between writes: the guests are emulated and shared
	MaxFile  int64         // a file this big is left for a new one
	Now      func() time.Time
	Sleep    func(time.Duration)
	MaxChunk int
}

// Run writes until ctx ends. Outcomes: nil when ctx ended; an error when
// the record itself cannot be written (the host's side of it is gone), as
// an ack that is not recorded would make the soak's count wrong.
func (c *Client) Run(ctx context.Context) error {
	var f *os.File
	var name string
	var size int64
	seq := 0
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	for ctx.Err() == nil {
		if f == nil || size >= c.MaxFile {
			if f != nil {
				f.Close()
				f = nil
			}
			seq++
			name = fmt.Sprintf("%s-%04d", c.Name, seq)
			var err error
			if f, err = os.OpenFile(filepath.Join(c.Dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644); err != nil {
				f = nil
				if rerr := c.record(FormatFail(c.Now(), name, err)); rerr != nil {
					return rerr
				}
				c.Sleep(time.Second)
				continue
			}
			size = 0
		}
		buf := make([]byte, 1+c.Rand.Intn(c.MaxChunk))
		c.Rand.Read(buf)
		_, err := f.Write(buf)
		if err == nil {
			err = f.Sync()
		}
		if err != nil {
			f.Close()
			f = nil
			if rerr := c.record(FormatFail(c.Now(), name, err)); rerr != nil {
				return rerr
			}
			c.Sleep(time.Second)
			continue
		}
		sum := sha256.Sum256(buf)
		if err := c.record(FormatAck(Ack{At: c.Now(), Path: name, Offset: size, Length: int64(len(buf)), Sum: hex.EncodeToString(sum[:])})); err != nil {
			return err
		}
		size += int64(len(buf))
		c.Sleep(c.Pause)
	}
	return nil
}

func (c *Client) record(line string) error {
	if _, err := io.WriteString(c.Record, line); err != nil {
		return fmt.Errorf("write ack record: %w", err)
	}
	if err := c.Record.Sync(); err != nil {
		return fmt.Errorf("sync ack record: %w", err)
	}
	return nil
}
