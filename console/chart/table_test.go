package chart

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestTableEqualsChart reads the numbers back from each chart's SVG (the
// data-value of every marker and bar, in order) and from its rendered
// table, and checks that they are the same numbers: the table is the
// chart's data, not a second computation that could drift from it. It
// also checks that the drawing follows the numbers: a larger value is
// drawn higher, or as a longer bar in proportion.
func TestTableEqualsChart(t *testing.T) {
	for _, c := range chartCases() {
		t.Run(c.name, func(t *testing.T) {
			drawn := drawnValues(t, c.chart)
			table := tableValues(t, c.chart)
			if !slices.EqualFunc(drawn, table, slices.Equal) {
				t.Errorf("table columns %v, chart series %v", table, drawn)
			}
			if len(c.chart.Table.Rows) == 0 && len(drawn) != 0 {
				t.Errorf("a chart without rows drew %v", drawn)
			}
		})
	}
}

// drawnValues is a chart's numbers as drawn: per series (a line's group,
// or the bars), the data-value of its markers or bars in order. It checks
// the geometry against them on the way.
func drawnValues(t *testing.T, c Chart) [][]int64 {
	t.Helper()
	var series [][]int64
	for _, g := range parseSVG(t, c.SVG).Children {
		var vals []int64
		var pos []float64
		for _, e := range g.Children {
			if e.attr("data-value") == "" {
				continue
			}
			v, err := strconv.ParseInt(e.attr("data-value"), 10, 64)
			if err != nil {
				t.Fatalf("data-value %q: %v", e.attr("data-value"), err)
			}
			vals = append(vals, v)
			pos = append(pos, position(t, &e))
		}
		if vals == nil {
			continue
		}
		for i := range vals {
			for j := range vals {
				if vals[i] > vals[j] && !(pos[i] > pos[j]) {
					t.Errorf("value %d drawn at %g, not beyond value %d at %g", vals[i], pos[i], vals[j], pos[j])
				}
			}
		}
		series = append(series, vals)
	}
	// A bar chart is one group per bar: its values are one series.
	if len(series) > 0 && slices.IndexFunc(series, func(s []int64) bool { return len(s) != 1 }) < 0 && len(c.Table.Columns) == 2 {
		var one []int64
		for _, s := range series {
			one = append(one, s[0])
		}
		series = [][]int64{one}
	}
	return series
}

// position is how far a mark reaches: a bar's length, or a marker's
// height above the plot's bottom (the negated y).
func position(t *testing.T, e *element) float64 {
	t.Helper()
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("coordinate %q: %v", s, err)
		}
		return v
	}
	switch {
	case e.XMLName.Local == "rect":
		return num(e.attr("width"))
	case e.XMLName.Local == "circle":
		return -num(e.attr("cy"))
	default:
		// A path marker: "M<x> <y>m...".
		f := strings.Fields(strings.TrimPrefix(e.attr("d"), "M"))
		return -num(strings.SplitN(f[1], "m", 2)[0])
	}
}

// tableValues is a chart's rendered table read back: its value columns,
// one slice per column, ungrouped.
func tableValues(t *testing.T, c Chart) [][]int64 {
	t.Helper()
	table := parseSVG(t, c.Table.HTML())
	if got := table.child("caption"); got == nil || got.Text != c.Table.Caption {
		t.Errorf("caption %+v, want %q", got, c.Table.Caption)
	}
	var cols [][]int64
	for _, tr := range table.child("tbody").Children {
		for i, td := range tr.Children {
			if td.XMLName.Local != "td" || td.attr("colspan") != "" {
				continue
			}
			v, err := strconv.ParseInt(strings.ReplaceAll(td.Text, ",", ""), 10, 64)
			if err != nil {
				t.Fatalf("cell %q: %v", td.Text, err)
			}
			for len(cols) < i {
				cols = append(cols, nil)
			}
			cols[i-1] = append(cols[i-1], v)
		}
	}
	return cols
}

func TestTableHTML(t *testing.T) {
	tests := []struct {
		name  string
		table Table
		want  []string
	}{
		{"numbers grouped and labels escaped", Table{Caption: "A & B", Columns: []string{"Client", "Calls"},
			Rows: []TableRow{{Label: "<x>", Values: []int64{1234567}}, {Label: "y", Values: []int64{math.MinInt64}}}},
			[]string{"<caption>A &amp; B</caption>", `<th scope="row">&lt;x&gt;</th><td>1,234,567</td>`,
				"<td>-9,223,372,036,854,775,808</td>"}},
		{"no rows", Table{Caption: "Empty", Columns: []string{"Reason", "Refused calls"}},
			[]string{`<td colspan="2">No data</td>`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(tt.table.HTML())
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("table lacks %q:\n%s", w, got)
				}
			}
		})
	}
}
