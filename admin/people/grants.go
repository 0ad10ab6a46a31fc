package people

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
func (s *server) grantRoutes() {
	s.route("GET "+rest.PathPrefix+"grants", registry.ScopeGrantsRead, s.listGrants)
	s.route("GET "+rest.PathPrefix+"users/{id}/grants", registry.ScopeGrantsRead, s.listUserGrants)
	s.route("GET "+rest.PathPrefix+"grants/{id}", registry.ScopeGrantsRead, s.getGrant)
	s.route("DELETE "+rest.PathPrefix+"grants/{id}", registry.ScopeGrantsWrite, s.revokeGrant)
}

// grantCursor is the last grant of a page: the next starts after it.
type grantCursor struct {
	Created time.Time `json:"c"`
	ID      string    `json:"i"`
}

// listGrants answers a page of grants, newest first, selected by user_id,
// client_id and live (neither revoked nor expired).
func (s *server) listGrants(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.grantPage(w, r, store.GrantFilter{UserID: q.Get("user_id"), ClientID: q.Get("client_id")})
}

// listUserGrants answers a page of one user's grants; 404 if there is no
// such user.
func (s *server) listUserGrants(w http.ResponseWriter, r *http.Request) {
	u, ok := s.lookupUser(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	s.grantPage(w, r, store.GrantFilter{UserID: u.ID, ClientID: r.URL.Query().Get("client_id")})
}

// grantPage answers the page of grants f selects, with the live, limit
// and cursor parameters.
func (s *server) grantPage(w http.ResponseWriter, r *http.Request, f store.GrantFilter) {
	var cur grantCursor
	limit, ok := rest.PageParams(w, r, &cur)
	if !ok {
		return
	}
	if f.Live, ok = rest.BoolParam(w, r, "live"); !ok {
		return
	}
	f.Now, f.BeforeCreated, f.BeforeID, f.Limit = s.ch.Now(), cur.Created, cur.ID, limit+1
	found, err := s.ch.Store.ListGrants(r.Context(), f)
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
func (s *server) lookupGrant(w http.ResponseWriter, r *http.Request) (registry.Grant, bool) {
	g, err := s.ch.Store.GetGrant(r.Context(), r.PathValue("id"))
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
func (s *server) getGrant(w http.ResponseWriter, r *http.Request) {
	g, ok := s.lookupGrant(w, r)
	if !ok {
		return
	}
	rest.WriteJSON(w, http.StatusOK, g, rest.ETag(g))
}

// revokeGrant revokes a grant with its refresh tokens and the access
// tokens issued from it (store.RevokeGrant). Revoking a revoked grant
// succeeds: the grant is revoked, as asked.
func (s *server) revokeGrant(w http.ResponseWriter, r *http.Request) {
	g, ok := s.lookupGrant(w, r)
	if !ok {
		return
	}
	if !rest.Matches(r, rest.ETag(g)) {
		rest.WriteStale(w)
		return
	}
	if err := s.ch.Store.RevokeGrant(r.Context(), g.ID, s.ch.Now()); err != nil {
		s.failed(w, r, err)
		return
	}
	if g.RevokedAt.IsZero() {
		s.ch.Record(r, audit.GrantsRevoked, store.AuditEvent{Subject: g.Subject, ClientID: g.ClientID,
			Detail: map[string]any{"grant_id": g.ID, "grants": 1}})
	}
	w.WriteHeader(http.StatusNoContent)
}
