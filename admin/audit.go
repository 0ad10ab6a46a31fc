package admin

import (
	"net/http"

	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// auditRoutes registers /audit.
func (s *Server) auditRoutes() {
	s.route("GET "+PathPrefix+"audit", ScopeAuditRead, s.listAudit)
}

// auditCursor is the ID of the last event of a page: the next page holds
// older ones.
type auditCursor struct {
	Before int64 `json:"b"`
}

// listAudit answers a page of the audit trail, newest first, selected by
// sub, client_id, type and the time range since (inclusive) to until.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	var cur auditCursor
	limit, ok := rest.PageParams(w, r, &cur)
	if !ok {
		return
	}
	since, until, ok := rest.TimeRange(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	found, err := s.cfg.Store.ListAudit(r.Context(), store.AuditFilter{Subject: q.Get("sub"), ClientID: q.Get("client_id"),
		Type: q.Get("type"), Since: since, Until: until, Before: cur.Before, Limit: limit + 1})
	if err != nil {
		s.failed(w, r, err)
		return
	}
	out := rest.Page[registry.AuditEvent]{Items: []registry.AuditEvent{}}
	for _, e := range found[:min(limit, len(found))] {
		out.Items = append(out.Items, registry.AuditEventFromStore(e))
	}
	if len(found) > limit {
		out.NextCursor = rest.EncodeCursor(auditCursor{Before: found[limit-1].ID})
	}
	rest.WriteJSON(w, http.StatusOK, out, "")
}
