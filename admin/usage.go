package admin

import (
	"errors"
	"net/http"

	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/usage"
)

// usageRoutes registers /usage and /anomalies.
func (s *Server) usageRoutes() {
	s.route("GET "+PathPrefix+"usage", ScopeUsageRead, s.getUsage)
	s.route("GET "+PathPrefix+"anomalies", ScopeUsageRead, s.listAnomalies)
}

// getUsage answers the usage records selected by client_id, api, route
// and the hours since to until, summed by hour or day: usage.Query's
// report, the CLI's too.
func (s *Server) getUsage(w http.ResponseWriter, r *http.Request) {
	since, until, ok := rest.TimeRange(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	rep, err := usage.Query(r.Context(), s.cfg.Store, usage.Filter{ClientID: q.Get("client_id"), API: q.Get("api"),
		Route: q.Get("route"), Since: since, Until: until, By: q.Get("by")})
	if errors.Is(err, usage.ErrBy) {
		rest.BadParam(w, "by", "must be hour or day")
		return
	}
	if err != nil {
		s.failed(w, r, err)
		return
	}
	rest.WriteJSON(w, http.StatusOK, rep, "")
}

// anomalyCursor is the audit event of the last detection of a page.
type anomalyCursor struct {
	Before int64 `json:"b"`
}

// listAnomalies answers a page of the detections the anomaly detectors
// recorded, newest first, selected by client_id and since.
func (s *Server) listAnomalies(w http.ResponseWriter, r *http.Request) {
	var cur anomalyCursor
	limit, ok := rest.PageParams(w, r, &cur)
	if !ok {
		return
	}
	since, ok := rest.TimeParam(w, r, "since")
	if !ok {
		return
	}
	found, err := usage.ListDetections(r.Context(), s.cfg.Store, usage.DetectionFilter{Since: since,
		ClientID: r.URL.Query().Get("client_id"), Before: cur.Before, Limit: limit + 1})
	if err != nil {
		s.failed(w, r, err)
		return
	}
	out := rest.Page[usage.Detection]{Items: found[:min(limit, len(found))]}
	if len(found) > limit {
		out.NextCursor = rest.EncodeCursor(anomalyCursor{Before: found[limit-1].EventID})
	}
	rest.WriteJSON(w, http.StatusOK, out, "")
}
