package chart

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"
)

// Time is the data of a time-series chart: values per period, for one to
// three series (the chart stays legible up to three).
type Time struct {
	// Title names the chart: the SVG's <title> and the table's caption.
	Title string
	// Start is the start of the first period; Step the length of each,
	// time.Hour or 24 hours (zero means an hour). Periods are shown in
	// UTC.
	Start time.Time
	Step  time.Duration
	// Series hold one value per period each; a series shorter than the
	// longest counts zero for the periods it lacks. Negative values are
	// drawn as zero.
	Series []Series
}

// Series is one named line of a Time chart.
type Series struct {
	// Name is the legend's and the table column's label, such as "API
	// calls".
	Name   string
	Values []int64
}

// periods is how many periods t has: the length of its longest series.
func (t Time) periods() int {
	n := 0
	for _, s := range t.Series {
		n = max(n, len(s.Values))
	}
	return n
}

// value is series s's value in period i, zero where it has none.
func (s Series) value(i int) int64 {
	if i < len(s.Values) {
		return s.Values[i]
	}
	return 0
}

// step is the length of t's periods.
func (t Time) step() time.Duration {
	if t.Step <= 0 {
		return time.Hour
	}
	return t.Step
}

// period is the start of period i, in UTC.
func (t Time) period(i int) time.Time {
	return t.Start.UTC().Add(time.Duration(i) * t.step())
}

// daily says whether t's periods are days, which changes how they are
// named.
func (t Time) daily() bool { return t.step() >= 24*time.Hour }

// periodName names period i in full, for tables, tooltips and the
// description: "2 May 2025 09:00 UTC" or "2 May 2025".
func (t Time) periodName(i int) string {
	if t.daily() {
		return t.period(i).Format("2 Jan 2006")
	}
	return t.period(i).Format("2 Jan 2006 15:04 UTC")
}

// Chart draws t as a line chart with its table; id must be unique on the
// page (it names the SVG's title and description). A Time without
// periods draws a "No data" chart.
func (t Time) Chart(id string) Chart {
	return Chart{SVG: t.svg(id), Table: t.Table()}
}

// Table is the numbers of t: one row per period, one column per series.
func (t Time) Table() Table {
	tab := Table{Caption: t.Title, Columns: []string{t.axisName()}}
	for _, s := range t.Series {
		tab.Columns = append(tab.Columns, s.Name)
	}
	for i := range t.periods() {
		row := TableRow{Label: t.periodName(i)}
		for _, s := range t.Series {
			row.Values = append(row.Values, s.value(i))
		}
		tab.Rows = append(tab.Rows, row)
	}
	return tab
}

// axisName names the periods' axis and the table's first column.
func (t Time) axisName() string {
	if t.daily() {
		return "Day (UTC)"
	}
	return "Hour (UTC)"
}

// Desc is the sentence that summarises t for someone who cannot see the
// chart: the span, and per series its total and its peak.
func (t Time) Desc() string {
	n := t.periods()
	if n == 0 {
		return "No data."
	}
	var b strings.Builder
	names := make([]string, len(t.Series))
	for i, s := range t.Series {
		names[i] = s.Name
	}
	unit := "hour"
	if t.daily() {
		unit = "day"
	}
	fmt.Fprintf(&b, "%s per %s", strings.Join(names, " and "), unit)
	if n == 1 {
		fmt.Fprintf(&b, ", %s.", t.periodName(0))
	} else {
		fmt.Fprintf(&b, ", from %s to %s.", t.periodName(0), t.periodName(n-1))
	}
	for _, s := range t.Series {
		var total, peak int64
		at := 0
		for i := range n {
			v := s.value(i)
			total += v
			if v > peak {
				peak, at = v, i
			}
		}
		switch {
		case peak == 0:
			fmt.Fprintf(&b, " %s: none.", s.Name)
			continue
		case n == 1:
			fmt.Fprintf(&b, " %s: %s.", s.Name, grouped(total))
			continue
		}
		fmt.Fprintf(&b, " %s: %s in total, at most %s (%s).", s.Name, grouped(total), grouped(peak), t.periodName(at))
	}
	return b.String()
}

// Layout of a Time chart, in viewBox units.
const (
	timeHeight   = 218
	plotLeft     = 44
	plotRight    = width - 14
	plotTop      = 32
	plotBottom   = 172
	legendY      = 16
	tickLabelY   = 190
	axisTitleY   = 210
	legendStride = 150
	legendRunes  = 16
	legendRow    = 18
)

// timeView is what the time-series template draws.
type timeView struct {
	svgFrame
	Left, Right, Bottom    int
	TickLabelY, AxisTitleY int
	AxisTitle              string
	YTicks                 []tick
	XTicks                 []tick
	Series                 []seriesView
}

// tick is one labelled position on an axis.
type tick struct{ Pos, Label string }

// seriesView is one series as drawn: its style, legend entry, line and
// markers.
type seriesView struct {
	seriesStyle
	// Name is the legend's label, cut to legendRunes; Full the whole name
	// when it was cut, for the legend's <title>.
	Name, Full       string
	LegendX, LegendY int
	Points           string
	Marks            []mark
}

// mark is one value's marker, with the value in its tooltip and, exact,
// in its data-value attribute (which the tests read back).
type mark struct{ X, Y, Title, Value string }

func (t Time) svg(id string) template.HTML {
	n := t.periods()
	if n == 0 {
		return emptyChart(id, t.Title, "No data")
	}
	var peak int64
	for _, s := range t.Series {
		for _, v := range s.Values {
			peak = max(peak, v)
		}
	}
	top, step := niceScale(float64(peak))
	band := float64(plotRight-plotLeft) / float64(n)
	// The legend holds two series a row; more rows push the plot down.
	plotTop := plotTop + (len(t.Series)-1)/2*legendRow
	x := func(i int) float64 { return plotLeft + (float64(i)+0.5)*band }
	y := func(v float64) float64 { return plotBottom - max(v, 0)/top*float64(plotBottom-plotTop) }

	v := timeView{
		svgFrame: svgFrame{ID: elementID(id), Title: t.Title, Desc: t.Desc(), Width: width, Height: timeHeight},
		Left:     plotLeft, Right: plotRight, Bottom: plotBottom,
		TickLabelY: tickLabelY, AxisTitleY: axisTitleY,
		AxisTitle: t.Table().Columns[0],
	}
	// top is a whole multiple of step, up to float64's rounding.
	for k := 0; float64(k)*step <= top*(1+1e-9); k++ {
		v.YTicks = append(v.YTicks, tick{Pos: coord(y(float64(k) * step)), Label: compact(float64(k) * step)})
	}
	every := time.Duration(t.labelEvery(n)) * t.step()
	for i := range n {
		if p := t.period(i); p.Equal(p.Truncate(every)) {
			v.XTicks = append(v.XTicks, tick{Pos: coord(x(i)), Label: t.tickLabel(p)})
		}
	}
	if len(v.XTicks) == 0 {
		// Periods that start off the hour or off midnight: name the first.
		v.XTicks = []tick{{Pos: coord(x(0)), Label: t.tickLabel(t.period(0))}}
	}
	for si, s := range t.Series {
		sv := seriesView{
			seriesStyle: seriesStyles[si%len(seriesStyles)],
			Name:        truncate(s.Name, legendRunes),
			LegendX:     plotLeft + si%2*legendStride,
			LegendY:     legendY + si/2*legendRow,
		}
		if sv.Name != s.Name {
			sv.Full = s.Name
		}
		pts := make([]string, n)
		for i := range n {
			val := s.value(i)
			px, py := coord(x(i)), coord(y(float64(val)))
			pts[i] = px + "," + py
			sv.Marks = append(sv.Marks, mark{
				X: px, Y: py, Title: fmt.Sprintf("%s, %s: %s", s.Name, t.periodName(i), grouped(val)), Value: strconv.FormatInt(val, 10),
			})
		}
		sv.Points = strings.Join(pts, " ")
		v.Series = append(v.Series, sv)
	}
	return render("time.svg.tmpl", v)
}

// labelEvery is how many periods apart the x axis labels are: the fewest
// of a set of round spans (hours: 1, 2, 3, 6, 12, 24; days: 1, 2, 7, 14,
// 28) that keeps to about five labels. Labels fall on periods aligned to
// that span from the zero time (a Monday), so hourly labels are at 00:00,
// 06:00, ... and weekly ones on Mondays.
func (t Time) labelEvery(n int) int {
	spans := []int{1, 2, 3, 6, 12, 24}
	if t.daily() {
		spans = []int{1, 2, 7, 14, 28}
	}
	for _, s := range spans {
		if n <= 5*s {
			return s
		}
	}
	return spans[len(spans)-1]
}

// tickLabel names period p on the x axis: the hour, or the day at
// midnight and for daily periods.
func (t Time) tickLabel(p time.Time) string {
	if t.daily() || p.Hour() == 0 && p.Minute() == 0 {
		return p.Format("2 Jan")
	}
	return p.Format("15:04")
}
