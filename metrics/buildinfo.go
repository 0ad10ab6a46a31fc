package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/portcullis/portcullis/internal/buildinfo"
)

// buildInfo is the portcullis_build_info gauge: always 1, its labels say
// which build runs, so dashboards can join any series on version during a
// rolling upgrade.
func buildInfo() prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "portcullis_build_info",
		Help: "Always 1; the labels name the version, commit and Go version of the running binary.",
		ConstLabels: prometheus.Labels{
			"version":    buildinfo.Version(),
			"commit":     buildinfo.Commit(),
			"go_version": buildinfo.GoVersion(),
		},
	})
	g.Set(1)
	return g
}
