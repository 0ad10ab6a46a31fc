package people

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/admin/internal/delegate"
	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// userRoutes registers /users. A user's grants are in grants.go.
func (s *server) userRoutes() {
	s.route("GET "+rest.PathPrefix+"users", registry.ScopeUsersRead, s.listUsers)
	s.route("POST "+rest.PathPrefix+"users", registry.ScopeUsersWrite, s.createUser)
	s.route("GET "+rest.PathPrefix+"users/{id}", registry.ScopeUsersRead, s.getUser)
	s.route("PATCH "+rest.PathPrefix+"users/{id}", registry.ScopeUsersWrite, s.patchUser)
	s.route("DELETE "+rest.PathPrefix+"users/{id}", registry.ScopeUsersWrite, s.deleteUser)
	s.route("PUT "+rest.PathPrefix+"users/{id}/password", registry.ScopeUsersWrite, s.setPassword)
}

// userCursor is where the next page of users starts.
type userCursor struct {
	After string `json:"a"`
}

// listUsers answers a page of users by username; q selects those whose
// username or email contains it, ignoring case.
func (s *server) listUsers(w http.ResponseWriter, r *http.Request) {
	var cur userCursor
	limit, ok := rest.PageParams(w, r, &cur)
	if !ok {
		return
	}
	found, err := s.ch.Store.SearchUsers(r.Context(), store.UserQuery{Text: r.URL.Query().Get("q"), After: cur.After, Limit: limit + 1})
	if err != nil {
		s.failed(w, r, err)
		return
	}
	out := rest.Page[registry.UserInfo]{Items: []registry.UserInfo{}}
	for _, u := range found[:min(limit, len(found))] {
		out.Items = append(out.Items, s.userInfo(u))
	}
	if len(found) > limit {
		out.NextCursor = rest.EncodeCursor(userCursor{After: found[limit-1].Username})
	}
	rest.WriteJSON(w, http.StatusOK, out, "")
}

// userInfo is u as the API shows it.
func (s *server) userInfo(u store.User) registry.UserInfo {
	src := registry.SourceStore
	if s.fileUser(u.Username) {
		src = registry.SourceConfig
	}
	return registry.UserFromStore(u, src)
}

// fileUser reports whether the configuration file defines username. The
// file's usernames are unique ignoring case, as the CLI compares them.
func (s *server) fileUser(username string) bool {
	return slices.ContainsFunc(s.fileUsers, func(f string) bool { return strings.EqualFold(f, username) })
}

// lookupUser finds a user; found is false when it has answered (404 or a
// failure).
func (s *server) lookupUser(w http.ResponseWriter, r *http.Request, id string) (store.User, bool) {
	u, err := s.ch.Store.GetUser(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		rest.WriteProblem(w, http.StatusNotFound, rest.ProblemNotFound, "no user has this id")
		return u, false
	}
	if err != nil {
		s.failed(w, r, err)
		return u, false
	}
	return u, true
}

// getUser answers one user with its ETag.
func (s *server) getUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.lookupUser(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	info := s.userInfo(u)
	rest.WriteJSON(w, http.StatusOK, info, rest.ETag(info))
}

// passwordProblem checks a password as the configuration file's are
// checked; empty is allowed where allowEmpty says so.
func passwordProblem(pw string, allowEmpty bool) *rest.FieldProblem {
	if (pw != "" || !allowEmpty) && len(pw) < config.MinPasswordLength {
		return &rest.FieldProblem{Field: "password", Detail: fmt.Sprintf("must have at least %d characters", config.MinPasswordLength)}
	}
	return nil
}

// createUser adds a user, as `portcullis users add` does.
func (s *server) createUser(w http.ResponseWriter, r *http.Request) {
	var in registry.User
	if !rest.ReadJSON(w, r, &in, false) {
		return
	}
	var probs []rest.FieldProblem
	if in.Username == "" {
		probs = append(probs, rest.FieldProblem{Field: "username", Detail: "is required"})
	}
	if p := passwordProblem(in.Password, true); p != nil {
		probs = append(probs, *p)
	}
	probs = append(probs, roleProblems(in.Roles)...)
	if len(probs) > 0 {
		rest.WriteProblem(w, http.StatusBadRequest, rest.ProblemInvalid, "the user is not valid", probs...)
		return
	}
	if err := delegate.Roles(r, nil, in.Roles); err != nil {
		rest.WriteChangeError(w, r, s.ch.Log, err, "user")
		return
	}
	if s.fileUser(in.Username) {
		rest.WriteFileDefined(w, "a user with this username")
		return
	}
	u, err := users.Create(r.Context(), s.ch.Store, in.Username, in.Password, in.Claims, in.Roles, s.ch.Now().UTC())
	if errors.Is(err, store.ErrAlreadyExists) {
		rest.WriteProblem(w, http.StatusConflict, rest.ProblemConflict, "a user has this username",
			rest.FieldProblem{Field: "username", Detail: "is taken"})
		return
	}
	if err != nil {
		s.failed(w, r, err)
		return
	}
	s.ch.Record(r, audit.ConfigChanged, store.AuditEvent{Subject: u.ID,
		Detail: map[string]any{"change": "user added", "username": u.Username}})
	if len(u.Roles) > 0 {
		s.recordRoles(r, u, nil)
	}
	info := s.userInfo(u)
	w.Header().Set("Location", rest.PathPrefix+"users/"+url.PathEscape(u.ID))
	rest.WriteJSON(w, http.StatusCreated, info, rest.ETag(info))
}

// recordRoles audits a change of u's console roles from previous.
func (s *server) recordRoles(r *http.Request, u store.User, previous []string) {
	s.ch.Record(r, audit.RolesChanged, audit.RolesChange(u, previous))
}

// storedUser loads the user the path names for a change and refuses the
// file's users (409). found is false when it has answered. The change
// itself tests If-Match (rest.IfMatch with s.userInfo) inside its transaction,
// so that a change landing in between answers 412.
func (s *server) storedUser(w http.ResponseWriter, r *http.Request) (store.User, bool) {
	u, ok := s.lookupUser(w, r, r.PathValue("id"))
	if !ok {
		return u, false
	}
	if s.fileUser(u.Username) {
		rest.WriteFileDefined(w, "this user")
		return u, false
	}
	return u, true
}

// writeUserError answers a failed change to a user: 404, 412 or a
// failure.
func (s *server) writeUserError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		rest.WriteProblem(w, http.StatusNotFound, rest.ProblemNotFound, "no user has this id")
		return
	}
	rest.WriteChangeError(w, r, s.ch.Log, err, "user")
}

// deleteUser deletes a user, as `portcullis users delete` does: their
// sessions end and everything issued to them is revoked in the same
// transaction.
func (s *server) deleteUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.storedUser(w, r)
	if !ok {
		return
	}
	c := s.ch.Cutoff("", u.ID)
	err := s.ch.Store.DeleteUser(r.Context(), c, s.ch.Now(), rest.IfMatch(r, s.userInfo))
	if err != nil {
		s.writeUserError(w, r, err)
		return
	}
	s.ch.Record(r, audit.ConfigChanged, store.AuditEvent{Subject: u.ID,
		Detail: map[string]any{"change": "user deleted", "username": u.Username}})
	if c.Await(r.Context()) != nil {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// setPassword sets a user's password, as `portcullis users set-password`
// does: their sessions end and their tokens are revoked.
func (s *server) setPassword(w http.ResponseWriter, r *http.Request) {
	var in registry.Password
	if !rest.ReadJSON(w, r, &in, false) {
		return
	}
	if p := passwordProblem(in.Password, false); p != nil {
		rest.WriteProblem(w, http.StatusBadRequest, rest.ProblemInvalid, "the password is not valid", *p)
		return
	}
	u, ok := s.storedUser(w, r)
	if !ok {
		return
	}
	c := s.ch.Cutoff("", u.ID)
	n, err := users.SetPassword(r.Context(), s.ch.Store, c, in.Password, s.ch.Now(), rest.IfMatch(r, s.userInfo))
	if err != nil {
		s.writeUserError(w, r, err)
		return
	}
	s.ch.Record(r, audit.ConfigChanged, store.AuditEvent{Subject: u.ID,
		Detail: map[string]any{"change": "password set", "username": u.Username, "revoked_grants": n}})
	if c.Await(r.Context()) != nil {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// roleProblems are what registry.CheckRoles finds wrong with roles, as
// field problems of the request body.
func roleProblems(roles []string) []rest.FieldProblem {
	var out []rest.FieldProblem
	for _, p := range registry.CheckRoles(roles) {
		out = append(out, rest.FieldProblem{Field: fmt.Sprintf("roles[%d]", p.Index), Detail: p.Detail})
	}
	return out
}
