package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestKeptSectionsSurviveRegeneration: make bench rewrites the whole report,
// but the figures between the kept markers come from runs it does not make
// (the metalogger lab scenario): they must be carried over verbatim.
func TestKeptSectionsSurviveRegeneration(t *testing.T) {
	old := "# ocf-mfs benchmarks\n\nold figures\n\n" + keptBegin + "\n## By hand\n\n| a | b |\n" + keptEnd + "\n\n## End\n"
	assert.Equal(t, keptBegin+"\n## By hand\n\n| a | b |\n"+keptEnd+"\n", keptSections(strings.NewReader(old)))
}

func TestKeptSectionsNoneOrUnclosed(t *testing.T) {
	assert.Equal(t, "", keptSections(strings.NewReader("# report\n\nno markers\n")))
	// An unclosed section is not guessed at: the report stays as generated.
	assert.Equal(t, "", keptSections(strings.NewReader(keptBegin+"\ntext without end\n")))
}
