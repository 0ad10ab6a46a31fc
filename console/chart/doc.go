// Package chart owns the console's usage charts: inline SVG drawn on the
// server, with no JavaScript and no chart library, and the table of the
// same numbers that sits beside each chart.
//
// It has two halves. The first turns a usage.Report (the management API's
// answer, which the console reads through sdk.UsageService.Report) into
// chart data, with pure functions of a Window: Last24Hours and Last30Days
// name the periods, Window.Filter is the sdk query that reads them, and
// Window.Activity (tokens issued and API calls per period, missing periods
// counted as zero), Window.TopClientsByCalls, Window.TopClientsByTokens
// and Window.Refusals (refused API calls by reason) build the data. The
// second draws the data: Time.Chart (a line chart of one to three series
// over time) and Bars.Chart (a horizontal bar chart) return a Chart, the
// SVG and its Table.
//
// The console calls it like this:
//
//	w := chart.Last24Hours(time.Now())
//	rep, err := client.Usage.Report(ctx, w.Filter())
//	// ...
//	activity := w.Activity(rep).Chart("activity-24h")
//
// and its template shows {{.SVG}} and {{.Table.HTML}} (or ranges over
// Table.Columns and Table.Rows itself).
//
// The SVG is rendered with html/template from numbers and escaped labels
// only. Each chart is an image to assistive technology (role="img") named
// by its <title> and described by a <desc> sentence summarising it
// (aria-labelledby both). It scales to its container's width (a viewBox
// and width 100%) and stays readable down to 320 px. Text, axes and
// gridlines are drawn in currentColor, so the chart follows the page's
// light or dark scheme; the first series is drawn in var(--chart-1),
// falling back to var(--accent) (the console's theme.Branding primary
// colour), and the second in var(--chart-2), falling back to currentColor,
// with a dashed line and square markers so that colour is never the only
// difference. A page whose dark scheme makes --accent too dark to read
// sets --chart-1.
package chart
