package people

import (
	"errors"
	"net/http"
	"slices"

	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// factorRoutes registers /users/{id}/factors: the factors a user
// enrolled (passkeys, TOTP) and their recovery codes left, removing one,
// and resetting them all for a user who lost their devices.
func (s *server) factorRoutes() {
	s.route("GET "+rest.PathPrefix+"users/{id}/factors", registry.ScopeUsersRead, s.listFactors)
	s.route("DELETE "+rest.PathPrefix+"users/{id}/factors/{factor_id}", registry.ScopeUsersWrite, s.removeFactor)
	s.route("DELETE "+rest.PathPrefix+"users/{id}/factors", registry.ScopeUsersWrite, s.resetFactors)
}

// listFactors answers a user's factors, oldest first, and how many
// unused recovery codes they have; never a factor's state or credential.
func (s *server) listFactors(w http.ResponseWriter, r *http.Request) {
	u, ok := s.lookupUser(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	found, err := users.Factors(r.Context(), s.ch.Store, u.ID)
	if err != nil {
		s.failed(w, r, err)
		return
	}
	rest.WriteJSON(w, http.StatusOK, found, "")
}

// removeFactor removes one of a user's factors. Unlike the account page,
// it is not refused when the factor is the last one and MFA is required:
// the administrator removes it so that the user enrols anew, which the
// next sign-in asks of a user without a factor.
func (s *server) removeFactor(w http.ResponseWriter, r *http.Request) {
	u, ok := s.lookupUser(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	id := r.PathValue("factor_id")
	// Read first for the audit's kind, which a factor never changes.
	found, err := s.ch.Store.ListFactors(r.Context(), u.ID)
	if err != nil {
		s.failed(w, r, err)
		return
	}
	i := slices.IndexFunc(found, func(f store.Factor) bool { return f.ID == id })
	if i < 0 {
		err = store.ErrNotFound
	} else {
		err = s.ch.Store.DeleteFactor(r.Context(), u.ID, id, nil)
	}
	if errors.Is(err, store.ErrNotFound) {
		rest.WriteProblem(w, http.StatusNotFound, rest.ProblemNotFound, "the user has no factor with this id")
		return
	}
	if err != nil {
		s.failed(w, r, err)
		return
	}
	s.ch.Record(r, audit.FactorRemoved, store.AuditEvent{Subject: u.ID,
		Detail: map[string]any{"factor_id": id, "kind": found[i].Kind, "username": u.Username}})
	w.WriteHeader(http.StatusNoContent)
}

// resetFactors removes every factor and recovery code of a user and
// answers how many factors there were; the user's next sign-in enrols a
// factor anew where MFA is required.
func (s *server) resetFactors(w http.ResponseWriter, r *http.Request) {
	u, ok := s.lookupUser(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	n, err := s.ch.Store.DeleteFactors(r.Context(), u.ID)
	if err != nil {
		s.failed(w, r, err)
		return
	}
	s.ch.Record(r, audit.FactorsReset, store.AuditEvent{Subject: u.ID,
		Detail: map[string]any{"username": u.Username, "removed": n}})
	rest.WriteJSON(w, http.StatusOK, registry.FactorsReset{Removed: n}, "")
}
