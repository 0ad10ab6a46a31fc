package admin

import (
	"errors"
	"net/http"
	"time"

	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// grantRoutes registers /grants and /users/{id}/grants.
func (s *Server) grantRoutes() {
	s.route("GET "+PathPrefix+"grants", ScopeGrantsRead, s.listGrants)
	s.route("GET "+PathPrefix+"users/{id}/grants", ScopeGrantsRead, s.listUserGrants)
	s.route("GET "+PathPrefix+"grants/{id}", ScopeGrantsRead, s.getGrant)
	s.route("DELETE "+PathPrefix+"grants/{id}", ScopeGrantsWrite, s.revokeGrant)
}

// grantCursor is the last grant of a page: the next starts after it.
type grantCursor struct {
	Created time.Time `json:"c"`
	ID      string    `json:"i"`
}

// listGrants answers a page of grants, newest first, selected by user_id,
// client_id and live (neither revoked nor expired).
func (s *Server) listGrants(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.grantPage(w, r, store.GrantFilter{UserID: q.Get("user_id"), ClientID: q.Get("client_id")})
}

// listUserGrants answers a page of one user's grants; 404 if there is no
// such user.
func (s *Server) listUserGrants(w http.ResponseWriter, r *http.Request) {
	u, ok := s.lookupUser(w, r, pathID(r, "id"))
	if !ok {
		return
	}
	s.grantPage(w, r, store.GrantFilter{UserID: u.ID, ClientID: r.URL.Query().Get("client_id")})
}

// grantPage answers the page of grants f selects, with the live, limit
// and cursor parameters.
func (s *Server) grantPage(w http.ResponseWriter, r *http.Request, f store.GrantFilter) {
	var cur grantCursor
	limit, ok := rest.PageParams(w, r, &cur)
	if !ok {
		return
	}
	if f.Live, ok = rest.BoolParam(w, r, "live"); !ok {
		return
	}
	f.Now, f.BeforeCreated, f.BeforeID, f.Limit = s.cfg.Now(), cur.Created, cur.ID, limit+1
	found, err := s.cfg.Store.ListGrants(r.Context(), f)
	if err != nil {
		s.failed(w, r, err)
		return
	}
	out := rest.Page[registry.Grant]{Items: []registry.Grant{}}
	for _, g := range found[:min(limit, len(found))] {
		out.Items = append(out.Items, registry.GrantFromStore(g))
	}
	if len(found) > limit {
		last := found[limit-1]
		out.NextCursor = rest.EncodeCursor(grantCursor{Created: last.CreatedAt, ID: last.ID})
	}
	rest.WriteJSON(w, http.StatusOK, out, "")
}

// lookupGrant finds a grant; found is false when it has answered.
func (s *Server) lookupGrant(w http.ResponseWriter, r *http.Request) (registry.Grant, bool) {
	g, err := s.cfg.Store.GetGrant(r.Context(), pathID(r, "id"))
	if errors.Is(err, store.ErrNotFound) {
		rest.WriteProblem(w, http.StatusNotFound, rest.ProblemNotFound, "no grant has this id")
		return registry.Grant{}, false
	}
	if err != nil {
		s.failed(w, r, err)
		return registry.Grant{}, false
	}
	return registry.GrantFromStore(g), true
}

// getGrant answers one grant with its ETag.
func (s *Server) getGrant(w http.ResponseWriter, r *http.Request) {
	g, ok := s.lookupGrant(w, r)
	if !ok {
		return
	}
	rest.WriteJSON(w, http.StatusOK, g, rest.ETag(g))
}

// revokeGrant revokes a grant with its refresh tokens and the access
// tokens issued from it (store.RevokeGrant). Revoking a revoked grant
// succeeds: the grant is revoked, as asked.
func (s *Server) revokeGrant(w http.ResponseWriter, r *http.Request) {
	g, ok := s.lookupGrant(w, r)
	if !ok {
		return
	}
	if !rest.Matches(r, rest.ETag(g)) {
		rest.WriteStale(w)
		return
	}
	if err := s.cfg.Store.RevokeGrant(r.Context(), g.ID, s.cfg.Now()); err != nil {
		s.failed(w, r, err)
		return
	}
	if g.RevokedAt.IsZero() {
		s.ch.Record(r, audit.GrantsRevoked, store.AuditEvent{Subject: g.Subject, ClientID: g.ClientID,
			Detail: map[string]any{"grant_id": g.ID, "grants": 1}})
	}
	w.WriteHeader(http.StatusNoContent)
}
