package chart

import (
	"cmp"
	"slices"

	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/usage"
)

// Labels of clients that a usage.Row's ClientID does not name.
const (
	// NoClient labels calls refused before a token was read.
	NoClient = "(no client)"
	// OtherClients labels usage.Overflow, the clients the counter did not
	// tell apart.
	OtherClients = "(other clients)"
)

// TopClientsByCalls is the n clients with the most API calls (allowed or
// refused) in w, most first.
func (w Window) TopClientsByCalls(rep usage.Report, n int) Bars {
	return w.topClients(rep, n, "API calls", func(r usage.Row) int64 { return usage.Sum(r.APICalls) })
}

// TopClientsByTokens is the n clients issued the most tokens in w, most
// first.
func (w Window) TopClientsByTokens(rep usage.Report, n int) Bars {
	return w.topClients(rep, n, "Tokens issued", func(r usage.Row) int64 { return usage.Sum(r.TokensIssued) })
}

func (w Window) topClients(rep usage.Report, n int, what string, count func(usage.Row) int64) Bars {
	byClient := map[string]int64{}
	w.rows(rep, func(_ int, r usage.Row) {
		if v := count(r); v != 0 {
			byClient[clientLabel(r.ClientID)] += v
		}
	})
	b := Bars{
		Title: "Top clients by " + lowerFirst(what) + ", " + w.Name,
		Label: "Client", Value: what,
		Bars:  ranked(byClient),
		Empty: "No " + lowerFirst(what) + " in the " + w.Name,
	}
	if n >= 0 && len(b.Bars) > n {
		b.Bars = b.Bars[:n]
	}
	return b
}

// Refusals is the API calls refused in w by reason (the guard's outcome
// other than allowed), most first.
func (w Window) Refusals(rep usage.Report) Bars {
	byReason := map[string]int64{}
	w.rows(rep, func(_ int, r usage.Row) {
		for reason, v := range r.APICalls {
			if reason != guard.OutcomeAllowed && v != 0 {
				byReason[reason] += v
			}
		}
	})
	return Bars{
		Title: "Refused API calls by reason, " + w.Name,
		Label: "Reason", Value: "Refused calls",
		Bars:  ranked(byReason),
		Empty: "No refused API calls in the " + w.Name,
	}
}

// clientLabel names a usage.Row's client for a chart.
func clientLabel(id string) string {
	switch id {
	case "":
		return NoClient
	case usage.Overflow:
		return OtherClients
	}
	return id
}

// ranked is counts as bars, largest first, ties by label so that the
// order is stable.
func ranked(counts map[string]int64) []Bar {
	bars := make([]Bar, 0, len(counts))
	for label, v := range counts {
		bars = append(bars, Bar{Label: label, Value: v})
	}
	slices.SortFunc(bars, func(a, b Bar) int {
		return cmp.Or(cmp.Compare(b.Value, a.Value), cmp.Compare(a.Label, b.Label))
	})
	return bars
}

// lowerFirst lowers a measure's first letter for use inside a sentence,
// keeping acronyms such as "API" whole.
func lowerFirst(s string) string {
	if len(s) > 1 && s[1] >= 'A' && s[1] <= 'Z' {
		return s
	}
	if s != "" && s[0] >= 'A' && s[0] <= 'Z' {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}
