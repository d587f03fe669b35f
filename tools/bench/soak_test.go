package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// make bench rewrites docs/benchmarks.md; make soak's block must survive.
func TestSoakSectionCarriedOver(t *testing.T) {
	doc := "# ocf-mfs benchmarks\n\nold\n\n" + soakBegin + "\n## Soak\n\n| t |\n" + soakEnd + "\n"
	assert.Equal(t, soakBegin+"\n## Soak\n\n| t |\n"+soakEnd, string(soakSection([]byte(doc))))
	assert.Nil(t, soakSection([]byte("# no soak yet\n")))
	assert.Nil(t, soakSection([]byte(soakEnd+" "+soakBegin)), "markers out of order")
	assert.Nil(t, soakSection([]byte(soakBegin+" only")))
}

// A run without the lab must not throw away what the last run with it
// measured (the DRBD agents side by side, the failovers): it carries the
// lab's block over, and says how to measure it only when there is none.
func TestARunWithoutTheLabKeepsTheLastLabFigures(t *testing.T) {
	doc := "# ocf-mfs benchmarks\n\n" + labBegin + "\n## ocf:mfs:drbd against ocf:linbit:drbd\n\n| 26.0 | 1337.8 |\n" + labEnd + "\n\n## End\n"
	assert.Equal(t, labBegin+"\n## ocf:mfs:drbd against ocf:linbit:drbd\n\n| 26.0 | 1337.8 |\n"+labEnd, unmeasuredLab([]byte(doc)))
	none := unmeasuredLab([]byte("# ocf-mfs benchmarks\n"))
	assert.Contains(t, none, "Not measured in this run")
	assert.Contains(t, none, "make bench BENCH_LAB=1")
}
