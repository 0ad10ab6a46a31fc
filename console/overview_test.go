package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// seedUsage stores a day of traffic: tokens for two clients, allowed and
// refused API calls.
func (e *env) seedUsage(t testing.TB) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Hour)
	var counts []store.UsageCount
	for h := range 24 {
		at := now.Add(-time.Duration(h) * time.Hour)
		counts = append(counts,
			store.UsageCount{Hour: at, ClientID: "checkout", API: "https://api.example.com", Metric: usage.MetricTokensIssued, Detail: "client_credentials", Count: int64(10 + h)},
			store.UsageCount{Hour: at, ClientID: "checkout", API: "https://api.example.com", Metric: usage.MetricAPICalls, Detail: "allowed", Count: int64(100 + 5*h)},
			store.UsageCount{Hour: at, ClientID: "reports", API: "https://api.example.com", Metric: usage.MetricTokensIssued, Detail: "client_credentials", Count: 3},
			store.UsageCount{Hour: at, ClientID: "reports", API: "https://api.example.com", Metric: usage.MetricAPICalls, Detail: "insufficient_scope", Count: 2},
		)
	}
	if err := e.Store.AddUsage(context.Background(), "seed", counts); err != nil {
		t.Fatal(err)
	}
}

// The overview draws the stored usage: charts with their tables, the
// busiest clients and the refusals by reason.
func TestOverviewCharts(t *testing.T) {
	e := newEnv(t)
	e.seedUsage(t)
	b := e.newBrowser(t)
	p := b.signIn(adminUser)
	for _, want := range []string{
		`<svg`, `role="img"`,
		"Tokens issued and API calls, last 24 hours", "Tokens issued and API calls, last 30 days",
		"Top clients by tokens issued, last 30 days", "checkout", "reports",
		"insufficient_scope",
	} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the overview does not show %q", want)
		}
	}
	// checkout's calls over the 24 hours, 100 to 215, in the top clients
	// by calls.
	var calls int64
	for h := range 24 {
		calls += int64(100 + 5*h)
	}
	if want := "<td>3,780</td>"; calls != 3780 || !strings.Contains(p.Body, want) {
		t.Errorf("the overview does not show checkout's %d API calls as %s", calls, want)
	}
}
