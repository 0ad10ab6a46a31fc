// Package metrics owns the Prometheus metrics of a Portcullis process:
// requests by endpoint with their latency and OAuth error codes, tokens
// issued by grant and client, API calls and introspections by outcome,
// audit events and usage counts not stored by reason, the latency of store
// operations and the use of the store's connection pool.
package metrics

import (
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/portcullis/portcullis/audit"
)

// Metrics holds the collectors. It implements authserver.Observer and
// usage.Sink.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	tokens   *prometheus.CounterVec
	dropped  *prometheus.CounterVec
	storeOps *prometheus.HistogramVec
	usage    usageMetrics
}

// PoolStats is what a store reports about its connection pool.
type PoolStats struct {
	InUse, Idle, Max int
}

// New returns metrics registered in a fresh registry with the Go runtime
// and process collectors. pool, if not nil, is read at every scrape.
func New(pool func() PoolStats) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "portcullis_http_request_duration_seconds",
			Help: "Time to answer a request, by endpoint (route pattern), method and status.",
			// Token endpoints answer in tens of microseconds to a few
			// milliseconds (an RSA signature); slow stores show above.
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"endpoint", "method", "status"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portcullis_oauth_errors_total",
			Help: "OAuth error answers by endpoint and error code.",
		}, []string{"endpoint", "error"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portcullis_tokens_issued_total",
			Help: "Access tokens issued, by grant type and client.",
		}, []string{"grant_type", "client_id"}),
	}
	m.dropped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portcullis_audit_events_dropped_total",
		Help: "Audit events logged but not stored, by reason: buffer_full, store_error, shutdown.",
	}, []string{"reason"})
	for _, r := range audit.DropReasons {
		m.dropped.WithLabelValues(r) // every reason shows, at zero, before the first loss
	}
	m.reg.MustRegister(m.requests, m.errors, m.tokens, m.dropped, buildInfo(),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.usage = newUsageMetrics(m.reg)
	if pool != nil {
		for _, g := range []struct {
			name, help string
			read       func(PoolStats) int
		}{
			{"portcullis_store_connections_in_use", "Store connections in use.", func(p PoolStats) int { return p.InUse }},
			{"portcullis_store_connections_idle", "Idle store connections.", func(p PoolStats) int { return p.Idle }},
			{"portcullis_store_connections_max", "Most store connections the pool opens.", func(p PoolStats) int { return p.Max }},
		} {
			m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: g.name, Help: g.help},
				func() float64 { return float64(g.read(pool())) }))
		}
	}
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Request implements authserver.Observer. route must be a pattern of the
// server's mux (a fixed set) or "unmatched"; the method, status and error
// code are reduced to fixed sets here (labels.go).
func (m *Metrics) Request(route, method string, status int, oauthError string, d time.Duration) {
	m.requests.WithLabelValues(route, methodLabel(method), statusLabel(status)).Observe(d.Seconds())
	if oauthError != "" {
		m.errors.WithLabelValues(route, errorLabel(oauthError)).Inc()
	}
}

// TokenIssued implements authserver.Observer. It is told only of tokens
// issued to authenticated clients, so client IDs are the set operators
// registered, and grant types those the server implements: both make safe
// labels.
func (m *Metrics) TokenIssued(grantType, clientID string) {
	m.tokens.WithLabelValues(grantType, clientID).Inc()
}

// AuditDropped counts n audit events not stored for reason; it is the
// audit.Options Dropped hook. A reason outside audit.DropReasons counts as
// "other".
func (m *Metrics) AuditDropped(reason string, n int) {
	if !slices.Contains(audit.DropReasons[:], reason) {
		reason = "other"
	}
	m.dropped.WithLabelValues(reason).Add(float64(n))
}
