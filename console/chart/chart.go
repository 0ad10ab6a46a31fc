package chart

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"strings"
)

// Chart is what a page shows of one chart: the SVG and the table of the
// same numbers.
type Chart struct {
	// SVG is the inline <svg> element, built from numbers and escaped
	// labels only.
	SVG template.HTML
	// Table holds the numbers the SVG draws.
	Table Table
}

//go:embed templates/*.tmpl
var templateFiles embed.FS

// templates are the SVG and table templates, parsed once: they are part
// of the binary, so a parse error is a bug that every test would show.
var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"add":      func(d, v int) int { return v + d },
	"less":     func(d, v int) int { return v - d },
	"half":     func(v int) int { return v / 2 },
	"grouped":  grouped,
	"markerAt": func(kind, x, y, title, value string) markerView { return markerView{kind, x, y, title, value} },
}).ParseFS(templateFiles, "templates/*.tmpl"))

// markerView is one marker as the "marker" template draws it: Kind is a
// seriesStyle's Marker, Title its tooltip and Value the number it stands
// for (a legend's marker has neither).
type markerView struct{ Kind, X, Y, Title, Value string }

// render executes the named template with data. The templates are fixed
// and their data built here, so an error is a bug; it panics rather than
// hand a page half a chart.
func render(name string, data any) template.HTML {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		panic(fmt.Sprintf("chart: rendering %s: %v", name, err))
	}
	// html/template escapes everything it is given, so its output is safe
	// to insert as HTML.
	return template.HTML(b.String())
}

// elementID makes id safe as an element ID and as one of the space-separated
// names of aria-labelledby: letters, digits, '-' and '_' are kept, anything
// else becomes '-'. IDs come from the console's code, not from input, but a
// space would silently break the chart's accessible name.
func elementID(id string) string {
	if id == "" {
		return "chart"
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, id)
}

// svgFrame is what every chart's SVG element carries: its size and its
// text alternative.
type svgFrame struct {
	ID, Title, Desc string
	Width, Height   int
}

// emptyChart is the SVG of a chart with nothing to draw: a framed
// message, so that a page never shows an empty box.
func emptyChart(id, title, message string) template.HTML {
	return render("empty.svg.tmpl", struct {
		svgFrame
		Message string
	}{svgFrame{ID: elementID(id), Title: title, Desc: message + ".", Width: width, Height: 96}, message})
}

// width is the width of every chart's viewBox. The SVG scales to its
// container, so this sets the size of text relative to the chart: at 360
// units, 13-unit text is still 10 px in a 288 px column (a 320 px phone
// less the page's padding).
const width = 360
