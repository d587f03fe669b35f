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
