package metrics

import (
	"fmt"
	"testing"

	"github.com/portcullis/portcullis/usage"
)

// counterValue reads the counter name with the label pair key=value.
func counterValue(t *testing.T, m *Metrics, name, key, value string) float64 {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, c := range mf.GetMetric() {
			for _, l := range c.GetLabel() {
				if l.GetName() == key && l.GetValue() == value {
					return c.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{%s=%q}", name, key, value)
	return 0
}

// TestAnomaliesSeriesFixed: every series exists at zero from the start,
// and values outside the fixed sets count as "other", one series per
// label however many arrive.
func TestAnomaliesSeriesFixed(t *testing.T) {
	m := New(nil)
	obs := m.Anomalies()
	before := series(t, m)
	obs.Detected(usage.RuleTokenTheft)
	obs.Alert(usage.AlertDelivered)
	obs.Responded(usage.RespondSuspendClient, true)
	if n := series(t, m); n != before {
		t.Fatalf("known values added series: %d, then %d", before, n)
	}
	if v := counterValue(t, m, "portcullis_anomalies_total", "rule", usage.RuleTokenTheft); v != 1 {
		t.Errorf("token_theft counted %v", v)
	}
	for i := range 100 {
		obs.Detected(fmt.Sprint("rule-", i))
		obs.Alert(fmt.Sprint("outcome-", i))
		obs.Responded(fmt.Sprint("response-", i), false)
	}
	if n := series(t, m); n != before+3 {
		t.Fatalf("%d series after made-up values, want %d: one \"other\" per metric", n, before+3)
	}
	if v := counterValue(t, m, "portcullis_anomalies_total", "rule", "other"); v != 100 {
		t.Errorf("other counted %v", v)
	}
}
