package main

import (
	"fmt"
	"html"
	"strings"
)

// bar is one row of a chart.
type bar struct {
	label string
	value float64
}

// group is one chart panel: a title, a unit and its bars.
type group struct {
	title, unit string
	bars        []bar
}

// svgChart draws horizontal bar panels, one under the other, each scaled to
// its own largest value, so that a reader sees the ratios at a glance.
func svgChart(groups []group) string {
	const width, labelW, barW, rowH = 900, 420, 380, 22
	h := 10
	for _, g := range groups {
		h += 30 + rowH*len(g.bars) + 10
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, h)
	y := 10
	for _, g := range groups {
		fmt.Fprintf(&b, `<text x="10" y="%d" font-weight="bold" font-size="14">%s</text>`+"\n", y+18, html.EscapeString(g.title))
		y += 30
		max := 0.0
		for _, x := range g.bars {
			if x.value > max {
				max = x.value
			}
		}
		for i, x := range g.bars {
			w := 0.0
			if max > 0 {
				w = x.value / max * barW
			}
			color := "#9aa5b1"
			if i == 0 || strings.HasPrefix(x.label, "ocf:mfs:") || strings.HasPrefix(x.label, "ours:") {
				color = "#2b7a3d" // ocf-mfs is listed first
			}
			fmt.Fprintf(&b, `<text x="10" y="%d">%s</text>`+"\n", y+15, html.EscapeString(x.label))
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", labelW, y+3, w, rowH-6, color)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d">%.2f %s</text>`+"\n", float64(labelW)+w+6, y+15, x.value, html.EscapeString(g.unit))
			y += rowH
		}
		y += 10
	}
	b.WriteString("</svg>\n")
	return b.String()
}
