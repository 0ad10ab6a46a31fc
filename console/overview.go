package console

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/sdk"
	"github.com/portcullis/portcullis/usage"
)

// topClients is how many clients the overview ranks.
const topClients = 10

// overviewPage is the data of overview.html. Each section is empty when
// the user's token cannot read it.
type overviewPage struct {
	// Usage says the token may read usage; Hourly are the last 24 hours,
	// Daily the last 30 days, oldest first, every period present.
	Usage          bool
	Hourly, Daily  []periodCount
	Top            []clientCount
	Refused        []reasonCount
	Anomalies      []usage.Detection
	Keys           []registry.Key
	KeysReadable   bool
	UsageTruncated bool
}

// periodCount is one period's totals.
type periodCount struct {
	Period       time.Time
	Tokens, Call int64
}

// clientCount is one client's totals over the 30 days.
type clientCount struct {
	ClientID     string
	Tokens, Call int64
}

// reasonCount is how many API calls one reason refused over the 30 days.
type reasonCount struct {
	Reason string
	Count  int64
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request, s *session) {
	cl, now := c.api(s), c.cfg.Now().UTC()
	d := overviewPage{Usage: s.can(registry.ScopeUsageRead), KeysReadable: s.can(registry.ScopeKeysRead)}
	if d.Usage {
		if err := c.usageSections(r.Context(), cl, now, &d); err != nil {
			c.apiFailed(w, r, err)
			return
		}
	}
	if d.KeysReadable {
		ks, err := cl.Keys.List(r.Context())
		if err != nil {
			c.apiFailed(w, r, err)
			return
		}
		d.Keys = ks
	}
	c.render(w, r, s, http.StatusOK, "overview.html", &view{Title: "Overview", Nav: "overview", Data: d})
}

// usageSections fills d's usage sections from the management API.
func (c *Console) usageSections(ctx context.Context, cl *sdk.Client, now time.Time, d *overviewPage) error {
	hourStart := now.Truncate(time.Hour).Add(-23 * time.Hour)
	hourly, err := cl.Usage.Report(ctx, sdk.UsageFilter{Since: hourStart, By: usage.ByHour})
	if err != nil {
		return err
	}
	dayStart := time.Date(now.Year(), now.Month(), now.Day()-29, 0, 0, 0, 0, time.UTC)
	daily, err := cl.Usage.Report(ctx, sdk.UsageFilter{Since: dayStart, By: usage.ByDay})
	if err != nil {
		return err
	}
	d.Hourly = periods(hourly.Rows, hourStart, 24, func(t time.Time) time.Time { return t.Add(time.Hour) })
	d.Daily = periods(daily.Rows, dayStart, 30, func(t time.Time) time.Time { return t.AddDate(0, 0, 1) })
	d.Top, d.Refused = ranks(daily.Rows)
	d.UsageTruncated = hourly.Truncated || daily.Truncated
	p, err := cl.Usage.AnomaliesPage(ctx, sdk.AnomalyFilter{Since: dayStart, ListOptions: sdk.ListOptions{Limit: 10}})
	if err != nil {
		return err
	}
	d.Anomalies = p.Items
	return nil
}

// periods sums rows per period: n periods from start, next giving each
// period's successor, zeros where nothing was counted.
func periods(rows []usage.Row, start time.Time, n int, next func(time.Time) time.Time) []periodCount {
	out := make([]periodCount, n)
	at := map[time.Time]int{}
	for i, t := 0, start; i < n; i, t = i+1, next(t) {
		out[i].Period, at[t] = t, i
	}
	for _, row := range rows {
		if i, ok := at[row.Period.UTC()]; ok {
			out[i].Tokens += usage.Sum(row.TokensIssued)
			out[i].Call += usage.Sum(row.APICalls)
		}
	}
	return out
}

// ranks are the busiest clients (tokens and API calls together) and the
// reasons API calls were refused, most first, over rows.
func ranks(rows []usage.Row) ([]clientCount, []reasonCount) {
	clients, reasons := map[string]*clientCount{}, map[string]int64{}
	for _, row := range rows {
		cc := clients[row.ClientID]
		if cc == nil {
			cc = &clientCount{ClientID: row.ClientID}
			clients[row.ClientID] = cc
		}
		cc.Tokens += usage.Sum(row.TokensIssued)
		cc.Call += usage.Sum(row.APICalls)
		for reason, n := range row.APICalls {
			if reason != "allowed" {
				reasons[reason] += n
			}
		}
	}
	var top []clientCount
	for _, cc := range clients {
		if cc.ClientID != "" {
			top = append(top, *cc)
		}
	}
	slices.SortFunc(top, func(a, b clientCount) int {
		return cmp.Or(cmp.Compare(b.Tokens+b.Call, a.Tokens+a.Call), cmp.Compare(a.ClientID, b.ClientID))
	})
	var refused []reasonCount
	for reason, n := range reasons {
		refused = append(refused, reasonCount{reason, n})
	}
	slices.SortFunc(refused, func(a, b reasonCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
	})
	return top[:min(len(top), topClients)], refused
}
