package metrics

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/usage"
)

// usageMetrics count usage events by labels from fixed sets only, never
// per client: the usage records (package usage) keep that.
type usageMetrics struct {
	// calls and introspections hold a counter per outcome, made at start,
	// so that Observe only looks one up; "other" for an outcome outside
	// the set.
	calls          map[string]prometheus.Counter
	introspections map[string]prometheus.Counter
	dropped        *prometheus.CounterVec
}

// newUsageMetrics makes the usage counters and registers them in reg.
func newUsageMetrics(reg *prometheus.Registry) usageMetrics {
	calls := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portcullis_api_calls_total",
		Help: "API calls the gateway judged, by outcome: allowed, or why they were refused.",
	}, []string{"outcome"})
	intros := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portcullis_introspections_total",
		Help: "Introspection answers, by outcome: active or inactive.",
	}, []string{"outcome"})
	u := usageMetrics{
		calls:          map[string]prometheus.Counter{},
		introspections: map[string]prometheus.Counter{},
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portcullis_usage_dropped_total",
			Help: "Events not counted in the usage records, by reason: overflow, store_error, shutdown.",
		}, []string{"reason"}),
	}
	for _, o := range append(guard.Outcomes[:], "other") {
		u.calls[o] = calls.WithLabelValues(o)
	}
	for _, o := range []string{usage.Active, usage.Inactive, "other"} {
		u.introspections[o] = intros.WithLabelValues(o)
	}
	for _, r := range usage.DropReasons {
		u.dropped.WithLabelValues(r)
	}
	reg.MustRegister(calls, intros, u.dropped)
	return u
}

// Observe implements usage.Sink: it counts API calls and introspections
// by outcome. Tokens issued are counted by TokenIssued, rate-limited
// requests where they are refused.
func (m *Metrics) Observe(e usage.Event) {
	var by map[string]prometheus.Counter
	switch e.Kind {
	case usage.APICall:
		by = m.usage.calls
	case usage.Introspected:
		by = m.usage.introspections
	default:
		return
	}
	c, ok := by[e.Outcome]
	if !ok {
		c = by["other"]
	}
	c.Inc()
}

// UsageDropped counts n events not counted in the usage records for
// reason; it is the usage.CounterOptions Dropped hook. A reason outside
// usage.DropReasons counts as "other".
func (m *Metrics) UsageDropped(reason string, n int64) {
	if !slices.Contains(usage.DropReasons[:], reason) {
		reason = "other"
	}
	m.usage.dropped.WithLabelValues(reason).Add(float64(n))
}
