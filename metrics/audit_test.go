package metrics

import (
	"testing"

	"github.com/portcullis/portcullis/audit"
)

// dropped reads portcullis_audit_events_dropped_total by reason.
func dropped(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "portcullis_audit_events_dropped_total" {
			continue
		}
		for _, s := range mf.GetMetric() {
			out[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
		}
	}
	return out
}

// TestAuditDropped: every reason shows at zero from the start, losses
// add up by reason, and a reason outside the fixed set cannot create a
// series of its own.
func TestAuditDropped(t *testing.T) {
	m := New(nil)
	if before := dropped(t, m); len(before) != len(audit.DropReasons) {
		t.Fatalf("series before any loss: %v; want each of %v at 0", before, audit.DropReasons)
	}
	m.AuditDropped(audit.DropBufferFull, 3)
	m.AuditDropped(audit.DropBufferFull, 1)
	m.AuditDropped(audit.DropShutdown, 7)
	m.AuditDropped("made-up", 2)
	tests := []struct {
		name   string
		reason string
		want   float64
	}{
		{"buffer full", audit.DropBufferFull, 4},
		{"store error", audit.DropStoreError, 0},
		{"shutdown", audit.DropShutdown, 7},
		{"outside the set", "other", 2},
	}
	got := dropped(t, m)
	for _, tt := range tests {
		if got := got[tt.reason]; got != tt.want {
			t.Errorf("%s: %v; want %v", tt.name, got, tt.want)
		}
	}
	if len(got) != len(audit.DropReasons)+1 {
		t.Fatalf("series %v; want the fixed reasons and other", got)
	}
}
