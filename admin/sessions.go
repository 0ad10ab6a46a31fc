package admin

import (
	"errors"
	"net/http"
	"slices"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// sessionRoutes registers /users/{id}/sessions: a user's sign-on
// sessions, named by sid, and ending one as logout does.
func (s *Server) sessionRoutes() {
	s.route("GET "+PathPrefix+"users/{id}/sessions", ScopeUsersRead, s.listSessions)
	s.route("DELETE "+PathPrefix+"users/{id}/sessions/{sid}", ScopeUsersWrite, s.endSession)
}

// listSessions answers a user's live sessions, the most recent sign-in
// first, each with the clients of the live grants issued in it. Sessions
// expire and a user has few: the list is one page, without a cursor.
func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	u, ok := s.lookupUser(w, r, pathID(r, "id"))
	if !ok {
		return
	}
	now := s.cfg.Now()
	found, err := s.cfg.Store.ListSessions(r.Context(), u.ID, now)
	if err != nil {
		s.failed(w, r, err)
		return
	}
	clients, err := s.sessionClients(r, u.ID)
	if err != nil {
		s.failed(w, r, err)
		return
	}
	out := page[registry.Session]{Items: []registry.Session{}}
	for _, ss := range found {
		out.Items = append(out.Items, registry.SessionFromStore(ss, clients[ss.SID]))
	}
	writeJSON(w, http.StatusOK, out, "")
}

// sessionClients maps each sid to the sorted clients of the user's live
// grants issued in it, reading every page of those grants.
func (s *Server) sessionClients(r *http.Request, userID string) (map[string][]string, error) {
	out := map[string][]string{}
	f := store.GrantFilter{UserID: userID, Live: true, Now: s.cfg.Now(), Limit: store.MaxPageLimit}
	for {
		gs, err := s.cfg.Store.ListGrants(r.Context(), f)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			if g.SessionID != "" && !slices.Contains(out[g.SessionID], g.ClientID) {
				out[g.SessionID] = append(out[g.SessionID], g.ClientID)
			}
		}
		if len(gs) < f.Limit {
			break
		}
		last := gs[len(gs)-1]
		f.BeforeCreated, f.BeforeID = last.CreatedAt, last.ID
	}
	for _, ids := range out {
		slices.Sort(ids)
	}
	return out, nil
}

// endSession ends one of a user's sessions and revokes the grants issued
// in it that were not authorized for offline access, in logout's order:
// grants first, so a failure leaves the session to retry with, then the
// session, then its grants once more, for a sign-in that read the session
// before it ended and has created a grant since.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	u, ok := s.lookupUser(w, r, pathID(r, "id"))
	if !ok {
		return
	}
	sid := pathID(r, "sid")
	st := s.cfg.Store
	live, err := st.ListSessions(r.Context(), u.ID, s.cfg.Now())
	if err != nil {
		s.failed(w, r, err)
		return
	}
	if !slices.ContainsFunc(live, func(ss store.Session) bool { return ss.SID == sid }) {
		writeProblem(w, http.StatusNotFound, problemNotFound, "the user has no live session with this sid")
		return
	}
	n, err := st.RevokeSessionGrants(r.Context(), sid, s.cfg.Now())
	if err != nil {
		s.failed(w, r, err)
		return
	}
	err = st.EndSession(r.Context(), u.ID, sid, s.cfg.Now())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.failed(w, r, err)
		return
	}
	// ErrNotFound: the session ended (logout, expiry) since it was listed;
	// what the request asked for holds, and its grants are revoked below.
	m, err := st.RevokeSessionGrants(r.Context(), sid, s.cfg.Now())
	if err != nil {
		s.failed(w, r, err)
		return
	}
	s.record(r, audit.SessionEnded, store.AuditEvent{Subject: u.ID,
		Detail: map[string]any{"sid": sid, "username": u.Username, "revoked_grants": n + m}})
	w.WriteHeader(http.StatusNoContent)
}
