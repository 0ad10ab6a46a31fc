package usage

import (
	"context"
	"errors"
	"time"

	"github.com/portcullis/portcullis/store"
)

// Periods of a Filter's By.
const (
	ByHour = "hour"
	ByDay  = "day"
)

// ErrBy means a Filter's By is neither ByHour nor ByDay.
var ErrBy = errors.New("usage: by must be hour or day")

// Filter selects usage records. Zero fields select everything.
type Filter struct {
	ClientID string
	API      string
	Route    string
	// Since and Until bound the hours counted: Since <= hour < Until.
	// Query moves Since back to the start of its period, so that the
	// first period is whole.
	Since, Until time.Time
	// By is the period rows sum over, ByHour or ByDay (UTC days). Empty
	// means ByHour.
	By string
	// Limit bounds the stored counts read (a row holds one or more);
	// zero means store.DefaultUsageLimit.
	Limit int
}

// Row is the usage of one API (and gateway route) by one client in one
// period. Each map counts by its detail: grant type, Active or Inactive,
// "allowed" or the refusal's reason, the limit's name. Calls refused
// before a token was read have no client; Overflow stands for clients
// not told apart (Options.MaxRows).
type Row struct {
	Period         time.Time        `json:"period"`
	ClientID       string           `json:"client_id"`
	API            string           `json:"api"`
	Route          string           `json:"route,omitempty"`
	TokensIssued   map[string]int64 `json:"tokens_issued,omitempty"`
	Introspections map[string]int64 `json:"introspections,omitempty"`
	APICalls       map[string]int64 `json:"api_calls,omitempty"`
	RateLimited    map[string]int64 `json:"rate_limited,omitempty"`
}

// Allowed is how many of the row's API calls were let through.
func (r Row) Allowed() int64 { return r.APICalls[allowed] }

// Refused is how many of the row's API calls were refused, for any reason.
func (r Row) Refused() int64 { return Sum(r.APICalls) - r.Allowed() }

// allowed is the Outcome of an API call let through.
const allowed = "allowed"

// Sum is the total of one of a Row's maps.
func Sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// Report is the answer to a Filter: the CLI prints it, and the management
// API serves it.
type Report struct {
	By    string    `json:"by"`
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
	// Rows are ordered by period, client, API and route.
	Rows []Row `json:"rows"`
	// Truncated says more counts matched than Limit: the last periods are
	// missing or incomplete.
	Truncated bool `json:"truncated,omitempty"`
}

// Reader is the part of the store Query reads.
type Reader interface {
	ListUsage(ctx context.Context, f store.UsageFilter) ([]store.UsageCount, error)
}

// Query reads the usage records f selects from r, one Row per period,
// client, API and route. It is the one query of usage records: the CLI
// and the management API both answer with it.
func Query(ctx context.Context, r Reader, f Filter) (Report, error) {
	rep := Report{By: f.By, Since: f.Since, Until: f.Until, Rows: []Row{}}
	period := time.Hour
	switch f.By {
	case "", ByHour:
		rep.By = ByHour
	case ByDay:
		period = 24 * time.Hour
	default:
		return Report{}, ErrBy
	}
	if !f.Since.IsZero() {
		// Truncate counts from the zero time, a UTC midnight, as the
		// store's periods count from the epoch, another.
		f.Since = f.Since.UTC().Truncate(period)
		rep.Since = f.Since
	}
	limit := store.UsageFilter{Limit: f.Limit}.UsageLimit()
	counts, err := r.ListUsage(ctx, store.UsageFilter{
		ClientID: f.ClientID, API: f.API, Route: f.Route, Since: f.Since, Until: f.Until,
		Period: period, Limit: limit + 1,
	})
	if err != nil {
		return Report{}, err
	}
	if len(counts) > limit {
		counts, rep.Truncated = counts[:limit], true
	}
	for _, c := range counts {
		n := len(rep.Rows)
		if n == 0 || !rep.Rows[n-1].Period.Equal(c.Hour) || rep.Rows[n-1].ClientID != c.ClientID ||
			rep.Rows[n-1].API != c.API || rep.Rows[n-1].Route != c.Route {
			rep.Rows = append(rep.Rows, Row{Period: c.Hour, ClientID: c.ClientID, API: c.API, Route: c.Route})
			n++
		}
		row := &rep.Rows[n-1]
		var m *map[string]int64
		switch c.Metric {
		case MetricTokensIssued:
			m = &row.TokensIssued
		case MetricIntrospections:
			m = &row.Introspections
		case MetricAPICalls:
			m = &row.APICalls
		case MetricRateLimited:
			m = &row.RateLimited
		default:
			// Counted by a newer version.
			continue
		}
		if *m == nil {
			*m = map[string]int64{}
		}
		(*m)[c.Detail] += c.Count
	}
	return rep, nil
}
