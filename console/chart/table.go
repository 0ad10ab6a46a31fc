package chart

import "html/template"

// Table is the numbers of a chart, for the table beside it: one row per
// period or bar, one column per series.
type Table struct {
	// Caption names the table; it is the chart's title.
	Caption string
	// Columns are the header cells: the rows' label first, then one per
	// value.
	Columns []string
	Rows    []TableRow
}

// TableRow is one row of a Table: the period or bar it stands for and
// its values, in the order of Table.Columns[1:].
type TableRow struct {
	Label  string
	Values []int64
}

// HTML renders the table as a <table> with a caption, header cells with
// scope, and numbers grouped by thousands; a table without rows says "No
// data" in its one cell.
func (t Table) HTML() template.HTML {
	return render("table.html.tmpl", t)
}
