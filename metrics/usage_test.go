package metrics

import (
	"fmt"
	"testing"

	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/usage"
)

// counters reads the counters of the metric name by their one label.
func counters(t *testing.T, m *Metrics, name string) map[string]float64 {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, s := range mf.GetMetric() {
			out[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
		}
	}
	return out
}

// TestUsageEvents counts API calls and introspections by outcome, never
// by client, and folds outcomes outside the fixed sets into "other": the
// series stay as many whatever the events say.
func TestUsageEvents(t *testing.T) {
	m := New(nil)
	before := series(t, m)
	for i := range 1000 {
		client := fmt.Sprint("client-", i)
		m.Observe(usage.Event{Kind: usage.APICall, ClientID: client, Route: fmt.Sprint("/r", i), Outcome: guard.OutcomeAllowed})
		m.Observe(usage.Event{Kind: usage.APICall, ClientID: client, Outcome: fmt.Sprint("made-up-", i)})
		m.Observe(usage.Event{Kind: usage.Introspected, ClientID: client, Outcome: usage.Active})
		m.Observe(usage.Event{Kind: usage.TokenIssued, ClientID: client, GrantType: "client_credentials"})
	}
	m.Observe(usage.Event{Kind: usage.APICall, Outcome: guard.OutcomeRevoked})
	if after := series(t, m); after != before {
		t.Fatalf("series grew from %d to %d", before, after)
	}
	calls, intros := counters(t, m, "portcullis_api_calls_total"), counters(t, m, "portcullis_introspections_total")
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"allowed", calls[guard.OutcomeAllowed], 1000},
		{"revoked", calls[guard.OutcomeRevoked], 1},
		{"outside the set", calls["other"], 1000},
		{"expired, at zero", calls[guard.OutcomeExpired], 0},
		{"active introspections", intros[usage.Active], 1000},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

// TestUsageDropped: every reason shows at zero from the start, and a
// reason outside the set counts as other.
func TestUsageDropped(t *testing.T) {
	m := New(nil)
	if got := counters(t, m, "portcullis_usage_dropped_total"); len(got) != len(usage.DropReasons) {
		t.Fatalf("series before any loss: %v", got)
	}
	m.UsageDropped(usage.DropOverflow, 3)
	m.UsageDropped("made-up", 2)
	if got := counters(t, m, "portcullis_usage_dropped_total"); got[usage.DropOverflow] != 3 || got["other"] != 2 || got[usage.DropShutdown] != 0 {
		t.Fatalf("dropped %v", got)
	}
}
