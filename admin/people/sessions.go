package people

import (
	"errors"
	"net/http"

	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// sessionRoutes registers /users/{id}/sessions: a user's sign-on
// sessions, named by sid, and ending one as logout does.
func (s *server) sessionRoutes() {
	s.route("GET "+rest.PathPrefix+"users/{id}/sessions", registry.ScopeUsersRead, s.listSessions)
	s.route("DELETE "+rest.PathPrefix+"users/{id}/sessions/{sid}", registry.ScopeUsersWrite, s.endSession)
}

// listSessions answers a user's live sessions, the most recent sign-in
// first, each with the clients of the live grants issued in it. Sessions
// expire and a user has few: the list is one page, without a cursor.
func (s *server) listSessions(w http.ResponseWriter, r *http.Request) {
	u, ok := s.lookupUser(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	found, err := users.Sessions(r.Context(), s.ch.Store, u.ID, s.ch.Now())
	if err != nil {
		s.failed(w, r, err)
		return
	}
	rest.WriteJSON(w, http.StatusOK, rest.Page[registry.Session]{Items: found}, "")
}

// endSession ends one of a user's sessions and revokes the grants issued
// in it that were not authorized for offline access (users.EndSession).
func (s *server) endSession(w http.ResponseWriter, r *http.Request) {
	u, ok := s.lookupUser(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	sid := r.PathValue("sid")
	n, err := users.EndSession(r.Context(), s.ch.Store, u.ID, sid, s.ch.Now())
	if errors.Is(err, store.ErrNotFound) {
		rest.WriteProblem(w, http.StatusNotFound, rest.ProblemNotFound, "the user has no live session with this sid")
		return
	}
	if err != nil {
		s.failed(w, r, err)
		return
	}
	s.ch.Record(r, audit.SessionEnded, store.AuditEvent{Subject: u.ID,
		Detail: map[string]any{"sid": sid, "username": u.Username, "revoked_grants": n}})
	w.WriteHeader(http.StatusNoContent)
}
