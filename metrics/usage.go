package metrics

import (
	"slices"
	"strings"

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
	// limited holds a counter per limit name (usage.LimitNames, never a
	// client ID or an address), and "other".
	limited map[string]prometheus.Counter
	dropped *prometheus.CounterVec
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
	limited := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portcullis_rate_limited_total",
		Help: "Requests refused by a rate limit, by limit: " + strings.Join(usage.LimitNames[:], ", ") + ".",
	}, []string{"limit"})
	u := usageMetrics{
		calls:          map[string]prometheus.Counter{},
		introspections: map[string]prometheus.Counter{},
		limited:        map[string]prometheus.Counter{},
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
	// Every limit shows, at zero, before its first refusal.
	for _, n := range append(usage.LimitNames[:], "other") {
		u.limited[n] = limited.WithLabelValues(n)
	}
	for _, r := range usage.DropReasons {
		u.dropped.WithLabelValues(r)
	}
	reg.MustRegister(calls, intros, limited, u.dropped)
	return u
}

// Observe implements usage.Sink: it counts API calls and introspections
// by outcome, and rate-limited requests by limit; a value outside its
// fixed set counts as "other". Tokens issued are counted by TokenIssued.
func (m *Metrics) Observe(e usage.Event) {
	var by map[string]prometheus.Counter
	label := e.Outcome
	switch e.Kind {
	case usage.APICall:
		by = m.usage.calls
	case usage.Introspected:
		by = m.usage.introspections
	case usage.RateLimited:
		by, label = m.usage.limited, e.Limit
	default:
		return
	}
	c, ok := by[label]
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
