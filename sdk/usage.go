package sdk

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"time"

	"github.com/portcullis/portcullis/usage"
)

// UsageService reads usage records and anomaly detections:
// /admin/v1/usage and /admin/v1/anomalies, with admin:usage:read.
type UsageService struct{ c *Client }

// UsageFilter selects usage records. Zero fields select everything.
type UsageFilter struct {
	ClientID string
	// API is an API's identifier.
	API string
	// Route is a gateway route's name.
	Route string
	// Since and Until bound the hours counted.
	Since, Until time.Time
	// By is usage.ByHour or usage.ByDay. Empty means by hour.
	By string
}

// Report sums the usage records f selects per period, client, API and
// route.
func (s *UsageService) Report(ctx context.Context, f UsageFilter) (usage.Report, error) {
	q := url.Values{}
	set(q, "client_id", f.ClientID)
	set(q, "api", f.API)
	set(q, "route", f.Route)
	setTime(q, "since", f.Since)
	setTime(q, "until", f.Until)
	set(q, "by", f.By)
	var out usage.Report
	_, err := s.c.do(ctx, request{method: http.MethodGet, path: "usage", query: q}, &out)
	return out, err
}

// AnomalyFilter selects anomaly detections. Zero fields select everything.
type AnomalyFilter struct {
	ClientID string
	Since    time.Time
	ListOptions
}

func (f AnomalyFilter) values() url.Values {
	q := url.Values{}
	set(q, "client_id", f.ClientID)
	setTime(q, "since", f.Since)
	return f.ListOptions.values(q)
}

// Anomalies returns the detections f selects, newest first.
func (s *UsageService) Anomalies(ctx context.Context, f AnomalyFilter) iter.Seq2[usage.Detection, error] {
	return all[usage.Detection](ctx, s.c, "anomalies", f.values())
}

// AnomaliesPage returns one page of detections.
func (s *UsageService) AnomaliesPage(ctx context.Context, f AnomalyFilter) (Page[usage.Detection], error) {
	return getPage[usage.Detection](ctx, s.c, "anomalies", f.values())
}
