package chart

import "html/template"

// seriesStyle is how one series is drawn. Colour is never the only
// difference between series: the dash and the marker differ too.
type seriesStyle struct {
	// Color is a CSS colour: a constant of this package, never input.
	Color template.CSS
	// Dash is the line's stroke-dasharray, empty for a solid line.
	Dash string
	// Marker is "circle", "square" or "diamond".
	Marker string
}

// seriesStyles are the styles of a chart's series, in order. The first
// takes the page's accent colour (the console's branding), the second the
// text colour, so both read in light and dark schemes; --chart-1 and
// --chart-2 let a page choose others.
var seriesStyles = []seriesStyle{
	{Color: "var(--chart-1, var(--accent, #1f5fbf))", Marker: "circle"},
	{Color: "var(--chart-2, currentColor)", Dash: "6 4", Marker: "square"},
	{Color: "var(--chart-3, var(--accent, #1f5fbf))", Dash: "2 3", Marker: "diamond"},
}
