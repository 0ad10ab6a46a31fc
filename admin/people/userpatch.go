package people

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"github.com/portcullis/portcullis/admin/internal/delegate"
	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// userPatch is what a PATCH of a user may change; the merge patch applies
// to it.
type userPatch struct {
	Username string         `json:"username"`
	Claims   map[string]any `json:"claims,omitempty"`
	Roles    []string       `json:"roles,omitempty"`
	Disabled bool           `json:"disabled"`
}

// errFileUser aborts a change to a user the configuration file defines.
var errFileUser = errors.New("the user is defined in the configuration file")

// patchError is a bad merge patch, found inside the store's transaction.
type patchError struct {
	slug   string
	detail string
	fields []rest.FieldProblem
}

func (e *patchError) Error() string { return e.detail }

// patchUser applies a merge patch of {username, claims, roles, disabled}. The
// If-Match check and the change are one transaction; "disabled": true
// does what `portcullis users disable` does (users.DisableWith: the flag,
// then every token revoked) and false what `users enable` does.
func (s *server) patchUser(w http.ResponseWriter, r *http.Request) {
	raw, ok := rest.ReadBody(w, r, true)
	if !ok {
		return
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil || members == nil {
		rest.WriteProblem(w, http.StatusBadRequest, rest.ProblemMalformed, "a merge patch must be a JSON object")
		return
	}
	if !s.usernameFree(w, members["username"]) {
		return
	}
	id := r.PathValue("id")
	var before, after store.User
	apply := func(u *store.User) error {
		if s.fileUser(u.Username) {
			return errFileUser
		}
		if !rest.Matches(r, rest.ETag(s.userInfo(*u))) {
			return rest.ErrStale
		}
		p, err := patched(*u, raw)
		if err == nil {
			err = delegate.Roles(r, u.Roles, p.Roles)
		}
		if err != nil {
			return err
		}
		before = *u
		u.Username, u.Claims, u.Roles = p.Username, p.Claims, p.Roles
		after = *u
		return nil
	}
	ctx := r.Context()
	var err error
	var revoked int
	var was bool
	var c store.Cutoff
	// The patch's own member decides, so that the flag and the revocation
	// follow from what the caller sent, not from a value read before the
	// transaction. Any other value fails the decoding in apply.
	switch string(members["disabled"]) {
	case "true":
		c = s.ch.Cutoff("", id)
		revoked, err = users.DisableWith(ctx, s.ch.Store, c, s.ch.Now(), apply)
		after.Disabled = true
	case "false", "null":
		was, err = users.EnableWith(ctx, s.ch.Store, id, apply)
		after.Disabled = false
	default:
		err = s.ch.Store.UpdateUser(ctx, id, apply)
	}
	if !s.patchFailed(w, r, err) {
		return
	}
	if before.Username != after.Username || !jsonEqual(before.Claims, after.Claims) {
		s.ch.Record(r, audit.ConfigChanged, store.AuditEvent{Subject: id,
			Detail: map[string]any{"change": "user updated", "username": after.Username, "previous_username": before.Username}})
	}
	if !slices.Equal(before.Roles, after.Roles) {
		s.recordRoles(r, after, before.Roles)
	}
	switch {
	case after.Disabled:
		s.ch.Record(r, audit.UserDisabled, store.AuditEvent{Subject: id,
			Detail: map[string]any{"username": after.Username, "revoked_grants": revoked, "not_before": c.NotBefore.Unix()}})
		if c.Await(ctx) != nil {
			return
		}
	case was:
		s.ch.Record(r, audit.UserEnabled, store.AuditEvent{Subject: id, Detail: map[string]any{"username": after.Username}})
	}
	info := s.userInfo(after)
	rest.WriteJSON(w, http.StatusOK, info, rest.ETag(info))
}

// patchFailed answers err from a user's update and reports whether there
// was none.
func (s *server) patchFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	var pe *patchError
	var prob *rest.Error
	switch {
	case err == nil:
		return true
	case errors.As(err, &prob):
		prob.Write(w)
	case errors.Is(err, store.ErrNotFound):
		rest.WriteProblem(w, http.StatusNotFound, rest.ProblemNotFound, "no user has this id")
	case errors.Is(err, errFileUser):
		rest.WriteFileDefined(w, "this user")
	case errors.Is(err, rest.ErrStale):
		rest.WriteStale(w)
	case errors.Is(err, store.ErrAlreadyExists):
		rest.WriteProblem(w, http.StatusConflict, rest.ProblemConflict, "a user has this username",
			rest.FieldProblem{Field: "username", Detail: "is taken"})
	case errors.As(err, &pe):
		rest.WriteProblem(w, http.StatusBadRequest, pe.slug, pe.detail, pe.fields...)
	default:
		s.failed(w, r, err)
	}
	return false
}

// patched is u with the merge patch raw applied, checked.
func patched(u store.User, raw []byte) (userPatch, error) {
	doc, _ := json.Marshal(userPatch{Username: u.Username, Claims: u.Claims, Roles: u.Roles, Disabled: u.Disabled})
	merged, err := rest.MergePatch(doc, raw)
	if err != nil {
		return userPatch{}, &patchError{slug: rest.ProblemMalformed, detail: "a merge patch must be a JSON object"}
	}
	var p userPatch
	if err := rest.DecodeStrict(merged, &p); err != nil {
		return userPatch{}, &patchError{slug: rest.ProblemMalformed, detail: err.Error()}
	}
	var fields []rest.FieldProblem
	if p.Username == "" {
		fields = append(fields, rest.FieldProblem{Field: "username", Detail: "is required"})
	}
	if fields = append(fields, roleProblems(p.Roles)...); fields != nil {
		return userPatch{}, &patchError{slug: rest.ProblemInvalid, detail: "the user is not valid", fields: fields}
	}
	return p, nil
}

// usernameFree checks, before the transaction, that a new username in the
// patch is not a file user's; it has answered 409 when it is. Another
// stored user's username the store refuses in the transaction
// (store.ErrAlreadyExists), so that two renames racing to one name end
// in one 200 and one 409.
func (s *server) usernameFree(w http.ResponseWriter, member json.RawMessage) bool {
	var name string
	if json.Unmarshal(member, &name) != nil || name == "" {
		return true // absent, or a bad value the decoding refuses
	}
	if s.fileUser(name) {
		rest.WriteProblem(w, http.StatusConflict, rest.ProblemConflict, "a user of the configuration file has this username",
			rest.FieldProblem{Field: "username", Detail: "is taken"})
		return false
	}
	return true
}

// jsonEqual reports whether a and b encode alike.
func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return slices.Equal(x, y)
}
