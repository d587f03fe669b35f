package main

import (
	"context"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sumA = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb" // sha256("a")

func TestParseLog(t *testing.T) {
	in := "ack 1000 f-0001 0 1 " + sumA + "\n" +
		"fail 2000 f-0001 write /mnt/mfs/f-0001: input/output error\n" +
		"\n" +
		"ack 3000 f-0002 0 1 " + sumA + "\n"
	l, err := ParseLog(strings.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, 1, l.Fails)
	require.Len(t, l.Acks, 2)
	assert.Equal(t, Ack{At: time.UnixMilli(1000), Path: "f-0001", Offset: 0, Length: 1, Sum: sumA}, l.Acks[0])
}

// A guest that dies after an fsync but while writing the record leaves a
// partial last line: that ack is not checked, and the log still reads.
func TestParseLogPartialLastLineDropped(t *testing.T) {
	l, err := ParseLog(strings.NewReader("ack 1000 f-0001 0 1 " + sumA + "\nack 2000 f-0001 1 1 ca97"))
	require.NoError(t, err)
	assert.Len(t, l.Acks, 1)
}

func TestParseLogBadLines(t *testing.T) {
	for _, in := range []string{
		"ack 1000 f 0 1 short\n",
		"ack x f 0 1 " + sumA + "\n",
		"ack 1000 f -1 1 " + sumA + "\n",
		"ack 1000 f 0 0 " + sumA + "\n",
		"what 1000 f\n",
		"fail 1000\n",
	} {
		_, err := ParseLog(strings.NewReader(in))
		assert.ErrorIs(t, err, ErrLogParse, "%q", in)
	}
}

func TestFormatRoundTrip(t *testing.T) {
	a := Ack{At: time.UnixMilli(1234), Path: "p-1", Offset: 7, Length: 1, Sum: sumA}
	l, err := ParseLog(strings.NewReader(FormatAck(a) + FormatFail(time.UnixMilli(5), "p-2", errors.New("no\nspace  left"))))
	require.NoError(t, err)
	assert.Equal(t, []Ack{a}, l.Acks)
	assert.Equal(t, 1, l.Fails)
}

func TestLongestGap(t *testing.T) {
	s := time.Unix(100, 0)
	acks := []Ack{{At: s.Add(1 * time.Second)}, {At: s.Add(2 * time.Second)}, {At: s.Add(9 * time.Second)}, {At: s.Add(10 * time.Second)}}
	assert.Equal(t, 7*time.Second, LongestGap(s, s.Add(11*time.Second), acks))
	assert.Equal(t, 20*time.Second, LongestGap(s, s.Add(30*time.Second), acks), "the tail counts")
	assert.Equal(t, 5*time.Second, LongestGap(s, s.Add(5*time.Second), nil))
}

type fileRecord struct{ *os.File }

// runClient lets a real Client write into dir for a few writes and returns
// its parsed record.
func runClient(t *testing.T, dir string, writes int) Log {
	t.Helper()
	rec, err := os.Create(filepath.Join(t.TempDir(), "acks.log"))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	c := &Client{Dir: dir, Name: "c1", Record: fileRecord{rec}, Rand: rand.New(rand.NewSource(1)),
		MaxFile: 3000, MaxChunk: 1000, Now: time.Now,
		Sleep: func(time.Duration) {
			if n++; n >= writes {
				cancel()
			}
		}}
	require.NoError(t, c.Run(ctx))
	require.NoError(t, rec.Close())
	b, err := os.ReadFile(rec.Name())
	require.NoError(t, err)
	l, err := ParseLog(strings.NewReader(string(b)))
	require.NoError(t, err)
	return l
}

func TestClientAcksVerify(t *testing.T) {
	dir := t.TempDir()
	l := runClient(t, dir, 20)
	require.Len(t, l.Acks, 20)
	assert.Zero(t, l.Fails)
	paths := map[string]bool{}
	for _, a := range l.Acks {
		paths[a.Path] = true
	}
	assert.Greater(t, len(paths), 1, "files are left for new ones once big")
	assert.Empty(t, Verify(dir, l.Acks))
}

func TestVerifyFindsLostWrites(t *testing.T) {
	dir := t.TempDir()
	l := runClient(t, dir, 12)
	first, last := l.Acks[0], l.Acks[len(l.Acks)-1]
	// A changed byte, a file cut short, a file gone.
	f, err := os.OpenFile(filepath.Join(dir, first.Path), os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte{'X'}, first.Offset)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, os.Truncate(filepath.Join(dir, last.Path), last.Offset+last.Length-1))
	lost := Verify(dir, l.Acks)
	require.Len(t, lost, 2)
	assert.Contains(t, lost[0].Reason, "differs")
	assert.Contains(t, lost[1].Reason, "read")

	require.NoError(t, os.Remove(filepath.Join(dir, first.Path)))
	assert.Contains(t, Verify(dir, []Ack{first})[0].Reason, "no such file")
}

func TestClientRecordsFailures(t *testing.T) {
	rec, err := os.Create(filepath.Join(t.TempDir(), "acks.log"))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	c := &Client{Dir: filepath.Join(t.TempDir(), "missing"), Name: "c1", Record: fileRecord{rec},
		Rand: rand.New(rand.NewSource(1)), MaxFile: 3000, MaxChunk: 10, Now: time.Now,
		Sleep: func(time.Duration) {
			if n++; n >= 3 {
				cancel()
			}
		}}
	require.NoError(t, c.Run(ctx))
	b, err := os.ReadFile(rec.Name())
	require.NoError(t, err)
	l, err := ParseLog(strings.NewReader(string(b)))
	require.NoError(t, err)
	assert.Equal(t, 3, l.Fails)
	assert.Empty(t, l.Acks)
}
