package metrics

import (
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portcullis/portcullis/usage"
)

// anomalies are the metrics of anomaly detection; every label value comes
// from a fixed set of package usage.
type anomalies struct {
	detected, alerts, responses *prometheus.CounterVec
}

// Anomalies returns the usage.Observer of anomaly detection, with its
// metrics registered: portcullis_anomalies_total by rule,
// portcullis_alerts_total by delivery outcome and
// portcullis_anomaly_responses_total by response and success. Call it
// once.
func (m *Metrics) Anomalies() usage.Observer {
	a := anomalies{
		detected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portcullis_anomalies_total",
			Help: "Anomalies detected, by rule.",
		}, []string{"rule"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portcullis_alerts_total",
			Help: "Alert webhook deliveries by outcome: delivered, retried (an attempt failed), failed (given up), dropped (queue full or shutdown).",
		}, []string{"outcome"}),
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portcullis_anomaly_responses_total",
			Help: "Automatic responses to anomalies, by response and whether they were carried out.",
		}, []string{"response", "ok"}),
	}
	// Every series shows, at zero, before the first detection.
	for _, r := range usage.RuleNames {
		a.detected.WithLabelValues(r)
	}
	for _, o := range usage.AlertOutcomes {
		a.alerts.WithLabelValues(o)
	}
	for _, r := range responses {
		a.responses.WithLabelValues(r, "true")
		a.responses.WithLabelValues(r, "false")
	}
	m.reg.MustRegister(a.detected, a.alerts, a.responses)
	return a
}

var responses = []string{usage.RespondRevokeToken, usage.RespondSuspendClient}

// oneOf is v when set holds it, else "other".
func oneOf(v string, set []string) string {
	if slices.Contains(set, v) {
		return v
	}
	return "other"
}

func (a anomalies) Detected(rule string) {
	a.detected.WithLabelValues(oneOf(rule, usage.RuleNames[:])).Inc()
}

func (a anomalies) Alert(outcome string) {
	a.alerts.WithLabelValues(oneOf(outcome, usage.AlertOutcomes[:])).Inc()
}

func (a anomalies) Responded(response string, ok bool) {
	a.responses.WithLabelValues(oneOf(response, responses), strconv.FormatBool(ok)).Inc()
}
