package chart

import (
	"time"

	"github.com/portcullis/portcullis/sdk"
	"github.com/portcullis/portcullis/usage"
)

// Window is a run of whole UTC periods ending with the one that holds
// now: what an overview chart shows.
type Window struct {
	// By is usage.ByHour or usage.ByDay, as the management API takes it.
	By string
	// Since is the start of the first period; Step the length of each;
	// Periods how many.
	Since   time.Time
	Step    time.Duration
	Periods int
	// Name says which periods they are in a title: "last 24 hours".
	Name string
}

// Last24Hours is the 24 hours up to and including the one that holds now.
func Last24Hours(now time.Time) Window {
	return lastPeriods(now, usage.ByHour, time.Hour, 24, "last 24 hours")
}

// Last30Days is the 30 UTC days up to and including the one that holds
// now.
func Last30Days(now time.Time) Window {
	return lastPeriods(now, usage.ByDay, 24*time.Hour, 30, "last 30 days")
}

func lastPeriods(now time.Time, by string, step time.Duration, n int, name string) Window {
	// Truncate counts from the zero time, a UTC midnight, as usage.Query
	// does: periods here are the report's periods.
	end := now.UTC().Truncate(step)
	return Window{By: by, Since: end.Add(-time.Duration(n-1) * step), Step: step, Periods: n, Name: name}
}

// Until is the end of w's last period.
func (w Window) Until() time.Time { return w.Since.Add(time.Duration(w.Periods) * w.Step) }

// Filter is the query of w's usage records, for sdk.UsageService.Report.
func (w Window) Filter() sdk.UsageFilter {
	return sdk.UsageFilter{By: w.By, Since: w.Since, Until: w.Until()}
}

// index is the period of w that holds t, and whether w holds t at all.
func (w Window) index(t time.Time) (int, bool) {
	t = t.UTC()
	if t.Before(w.Since) || !t.Before(w.Until()) {
		return 0, false
	}
	return int(t.Sub(w.Since) / w.Step), true
}

// rows calls f with each of rep's rows that falls in w, and its period's
// index; rows outside w (a report for other periods) are left out.
func (w Window) rows(rep usage.Report, f func(i int, r usage.Row)) {
	for _, r := range rep.Rows {
		if i, ok := w.index(r.Period); ok {
			f(i, r)
		}
	}
}

// Activity is tokens issued and API calls (allowed or refused) per period
// of w, summed over clients, APIs and routes; a period without a row
// counts zero.
func (w Window) Activity(rep usage.Report) Time {
	tokens := Series{Name: "Tokens issued", Values: make([]int64, w.Periods)}
	calls := Series{Name: "API calls", Values: make([]int64, w.Periods)}
	w.rows(rep, func(i int, r usage.Row) {
		tokens.Values[i] += usage.Sum(r.TokensIssued)
		calls.Values[i] += usage.Sum(r.APICalls)
	})
	return Time{
		Title:  "Tokens issued and API calls, " + w.Name,
		Start:  w.Since,
		Step:   w.Step,
		Series: []Series{tokens, calls},
	}
}
