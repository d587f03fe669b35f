package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMedianWorst(t *testing.T) {
	m, w := medianWorst([]time.Duration{5, 1, 3})
	assert.Equal(t, time.Duration(3), m)
	assert.Equal(t, time.Duration(5), w)
	m, w = medianWorst([]time.Duration{4, 1, 3, 2})
	assert.Equal(t, time.Duration(3), m, "upper middle of an even count")
	assert.Equal(t, time.Duration(4), w)
	m, w = medianWorst(nil)
	assert.Zero(t, m)
	assert.Zero(t, w)
}

func sampleSummary() Summary {
	s := time.Second
	return Summary{Seed: 9, Planned: 3, Fencing: true, Date: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Rounds: []RoundResult{
		{Step: Step{1, FaultKill9, 0}, Recovery: 20 * s, Gap: 8 * s, Acks: 100, Fails: 0},
		{Step: Step{2, FaultCrash, 0}, Recovery: 90 * s, Gap: 60 * s, Acks: 50, Fails: 3},
		{Step: Step{3, FaultKill9, 0}, Recovery: 30 * s, Gap: 9 * s, Acks: 70, Fails: 1},
	}}
}

func TestTable(t *testing.T) {
	tab := sampleSummary().Table()
	assert.Contains(t, tab, "seed 9, 3 of 3 rounds run")
	assert.Contains(t, tab, "| kill9 | 2 | 30.0 | 30.0 | 9.0 | 9.0 |")
	assert.Contains(t, tab, "| crash | 1 | 90.0 | 90.0 | 60.0 | 60.0 |")
	assert.NotContains(t, tab, "| standby |", "kinds that did not run are left out")
	assert.Contains(t, tab, "| acknowledged writes | 220 |")
	assert.Contains(t, tab, "| acknowledged writes lost (must be 0) | 0 |")
	assert.Contains(t, tab, "| writes failed during outages (allowed) | 4 |")
	assert.Contains(t, tab, "| rounds that needed a human (must be 0) | 0 |")
}

func TestSummaryOK(t *testing.T) {
	s := sampleSummary()
	assert.True(t, s.OK())
	lost := sampleSummary()
	lost.Rounds[1].Lost = 1
	assert.False(t, lost.OK())
	human := sampleSummary()
	human.Rounds[2].Human = "split brain"
	assert.False(t, human.OK())
	assert.Contains(t, human.Table(), "Round 3 (kill9) needed a human: split brain")
	short := sampleSummary()
	short.Planned = 4
	assert.False(t, short.OK(), "a run that stopped early did not pass")
}

func TestSplice(t *testing.T) {
	doc, err := Splice("# b\n\nother", "T1\n")
	require.NoError(t, err)
	assert.Equal(t, "# b\n\nother\n\n"+markBegin+"\n"+soakHeading+"\n\nT1\n"+markEnd+"\n", doc)
	again, err := Splice(doc, "T2\n")
	require.NoError(t, err)
	assert.NotContains(t, again, "T1")
	assert.Equal(t, 1, strings.Count(again, "## Soak"))
	assert.Equal(t, strings.Replace(doc, "T1", "T2", 1), again)

	_, err = Splice("x "+markEnd+" "+markBegin, "T")
	assert.Error(t, err)
	_, err = Splice("x "+markBegin, "T")
	assert.Error(t, err)
}
