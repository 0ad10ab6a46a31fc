package metrics

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portcullis/portcullis/usage"
)

// RateLimited registers portcullis_rate_limited_total, the requests rate
// limits refused by limit name (usage.LimitNames, never a client ID or an
// address), and returns the usage.Sink that counts them from
// usage.RateLimited events; it ignores other events. Call it once per
// Metrics, and give the Sink to every part that limits.
func (m *Metrics) RateLimited() usage.Sink {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portcullis_rate_limited_total",
		Help: "Requests refused by a rate limit, by limit: " + joinNames() + ".",
	}, []string{"limit"})
	for _, n := range usage.LimitNames {
		c.WithLabelValues(n) // every limit shows, at zero, before its first refusal
	}
	m.reg.MustRegister(c)
	return rateLimited{c}
}

type rateLimited struct{ c *prometheus.CounterVec }

// Observe implements usage.Sink. A limit name outside usage.LimitNames
// counts as "other".
func (r rateLimited) Observe(e usage.Event) {
	if e.Kind != usage.RateLimited {
		return
	}
	name := e.Limit
	if !slices.Contains(usage.LimitNames[:], name) {
		name = "other"
	}
	r.c.WithLabelValues(name).Inc()
}

func joinNames() string {
	s := ""
	for i, n := range usage.LimitNames {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}
