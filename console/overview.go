package console

import (
	"context"
	"net/http"
	"time"

	"github.com/portcullis/portcullis/console/chart"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/sdk"
	"github.com/portcullis/portcullis/usage"
)

// topClients is how many clients the overview ranks.
const topClients = 10

// overviewPage is the data of overview.html. Each section is empty when
// the user's token cannot read it.
type overviewPage struct {
	// Usage says the token may read usage; Charts are then the last 24
	// hours' and 30 days' activity, the top clients and the refusals, each
	// with its table.
	Usage          bool
	Charts         []chart.Chart
	UsageTruncated bool
	Anomalies      []usage.Detection
	KeysReadable   bool
	Keys           []registry.Key
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request, s *session) {
	cl, now := c.api(s), c.cfg.Now()
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

// usageSections fills d's usage sections from the management API: two
// reports (by hour and by day) and the latest anomalies.
func (c *Console) usageSections(ctx context.Context, cl *sdk.Client, now time.Time, d *overviewPage) error {
	day, month := chart.Last24Hours(now), chart.Last30Days(now)
	hourly, err := cl.Usage.Report(ctx, day.Filter())
	if err != nil {
		return err
	}
	daily, err := cl.Usage.Report(ctx, month.Filter())
	if err != nil {
		return err
	}
	d.Charts = []chart.Chart{
		day.Activity(hourly).Chart("activity-24h"),
		month.Activity(daily).Chart("activity-30d"),
		month.TopClientsByTokens(daily, topClients).Chart("top-tokens"),
		month.TopClientsByCalls(daily, topClients).Chart("top-calls"),
		month.Refusals(daily).Chart("refusals"),
	}
	d.UsageTruncated = hourly.Truncated || daily.Truncated
	p, err := cl.Usage.AnomaliesPage(ctx, sdk.AnomalyFilter{Since: month.Since, ListOptions: sdk.ListOptions{Limit: 10}})
	if err != nil {
		return err
	}
	d.Anomalies = p.Items
	return nil
}
