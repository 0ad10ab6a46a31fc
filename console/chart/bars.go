package chart

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
)

// Bars is the data of a horizontal bar chart: one bar per label, longest
// value first as the caller orders them.
type Bars struct {
	// Title names the chart: the SVG's <title> and the table's caption.
	Title string
	// Label says what the bars stand for ("Client", "Reason"); Value what
	// they count ("API calls"). They head the table's columns.
	Label, Value string
	Bars         []Bar
	// Empty is the message of a chart without bars, such as "No refused
	// API calls"; empty means "No data".
	Empty string
}

// Bar is one bar: its label, shown cut to labelRunes with the full text
// in the bar's <title>, and its value. A negative value is drawn as zero.
type Bar struct {
	Label string
	Value int64
}

// Chart draws b as a horizontal bar chart with its table; id must be
// unique on the page (it names the SVG's title and description). Bars
// without a bar draw a chart saying b.Empty.
func (b Bars) Chart(id string) Chart {
	return Chart{SVG: b.svg(id), Table: b.Table()}
}

// Table is the numbers of b: one row per bar.
func (b Bars) Table() Table {
	t := Table{Caption: b.Title, Columns: []string{b.Label, b.Value}}
	for _, bar := range b.Bars {
		t.Rows = append(t.Rows, TableRow{Label: bar.Label, Values: []int64{bar.Value}})
	}
	return t
}

// empty is b's message for a chart without bars.
func (b Bars) empty() string {
	if b.Empty == "" {
		return "No data"
	}
	return b.Empty
}

// Desc is the sentence that summarises b for someone who cannot see the
// chart: every bar's label and value, in order.
func (b Bars) Desc() string {
	if len(b.Bars) == 0 {
		return b.empty() + "."
	}
	parts := make([]string, len(b.Bars))
	for i, bar := range b.Bars {
		parts[i] = bar.Label + ": " + grouped(bar.Value)
	}
	return fmt.Sprintf("%s by %s, %d in all. %s.", b.Value, lowerFirst(b.Label), len(b.Bars), strings.Join(parts, "; "))
}

// Layout of a bar chart, in viewBox units: each bar takes a row, its label
// above it (so that long labels fit a phone) and its value after it.
const (
	barRowHeight = 38
	barPadding   = 4
	barLabelY    = 13
	barY         = 18
	barThickness = 12
	barMaxLength = width - 60
	labelRunes   = 46
)

// barsView is what the bar chart template draws.
type barsView struct {
	svgFrame
	seriesStyle
	Bars []barView
}

// barView is one bar as drawn.
type barView struct {
	LabelY, BarY, ValueY, Thickness int
	Length, ValueX                  string
	// Value is the bar's end label, Exact its value in data-value.
	Label, Short, Value, Exact, Title string
}

func (b Bars) svg(id string) template.HTML {
	if len(b.Bars) == 0 {
		return emptyChart(id, b.Title, b.empty())
	}
	var peak int64
	for _, bar := range b.Bars {
		peak = max(peak, bar.Value)
	}
	v := barsView{
		svgFrame:    svgFrame{ID: elementID(id), Title: b.Title, Desc: b.Desc(), Width: width, Height: 2*barPadding + len(b.Bars)*barRowHeight},
		seriesStyle: seriesStyles[0],
	}
	for i, bar := range b.Bars {
		length := 0.0
		if bar.Value > 0 {
			// A bar at least a unit long, so that a small count still shows.
			length = max(1, float64(bar.Value)/float64(peak)*barMaxLength)
		}
		top := barPadding + i*barRowHeight
		v.Bars = append(v.Bars, barView{
			LabelY: top + barLabelY, BarY: top + barY, ValueY: top + barY + barThickness - 1, Thickness: barThickness,
			Length: coord(length), ValueX: coord(length + 6),
			Label: bar.Label, Short: truncate(bar.Label, labelRunes), Value: compact(float64(bar.Value)), Exact: strconv.FormatInt(bar.Value, 10),
			Title: fmt.Sprintf("%s: %s %s", bar.Label, grouped(bar.Value), lowerFirst(b.Value)),
		})
	}
	return render("bars.svg.tmpl", v)
}
