package signin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// maxFactorName bounds a factor's name, in characters.
const maxFactorName = 64

// errLastFactor refuses removing the last factor when the deployment
// requires one (mfa.required).
var errLastFactor = errors.New("signin: the last factor cannot be removed while a second factor is required")

// factorName checks a name typed for a factor: trimmed, at most
// maxFactorName characters, no control characters; empty is fallback.
// problem says to the person what is wrong with it.
func factorName(raw, fallback string) (name, problem string) {
	name = strings.TrimSpace(raw)
	if name == "" {
		name = fallback
	}
	switch {
	case name == "":
		return "", "Give the factor a name."
	case !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
		return "", "The name may not contain control characters."
	case utf8.RuneCountInString(name) > maxFactorName:
		return "", fmt.Sprintf("The name may have at most %d characters.", maxFactorName)
	}
	return name, ""
}

// handleRenameFactor renames one of the user's factors.
func (s *Server) handleRenameFactor(w http.ResponseWriter, r *http.Request) {
	_, u, ok := s.accountForm(w, r, formRename)
	if !ok {
		return
	}
	name, problem := factorName(r.PostFormValue("name"), "")
	if problem != "" {
		s.errorAt(w, r, http.StatusBadRequest, "Invalid name", problem)
		return
	}
	var kind string
	err := s.store.UpdateFactor(r.Context(), u.ID, r.PostFormValue("id"), func(f *store.Factor) error {
		f.Name, kind = name, f.Kind
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		s.errorAt(w, r, http.StatusNotFound, "No such factor", "You have no such factor. Open the account page and try again.")
		return
	}
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	s.core.Event(r, slog.LevelInfo, audit.FactorRenamed, "sub", u.ID, "factor_id", r.PostFormValue("id"), "kind", kind)
	s.accountDone(w, r, "renamed")
}

// handleRemoveFactor removes one of the user's factors. When the
// deployment requires a second factor, the last one stays: the check
// runs inside DeleteFactor's transaction, so two removals at once cannot
// each leave the other's factor as the last and remove both.
func (s *Server) handleRemoveFactor(w http.ResponseWriter, r *http.Request) {
	_, u, ok := s.accountForm(w, r, formRemove)
	if !ok {
		return
	}
	id := r.PostFormValue("id")
	err := s.store.DeleteFactor(r.Context(), u.ID, id, func(remaining []store.Factor) error {
		if s.cfg.MFA.Required && len(remaining) == 0 {
			return errLastFactor
		}
		return nil
	})
	switch {
	case errors.Is(err, errLastFactor):
		s.errorAt(w, r, http.StatusConflict, "Factor kept",
			"This is your only second factor, and "+s.theme.Name+" requires one to sign in. Add another factor first, then remove this one.")
		return
	case errors.Is(err, store.ErrNotFound):
		s.errorAt(w, r, http.StatusNotFound, "No such factor", "You have no such factor. Open the account page and try again.")
		return
	case err != nil:
		s.pageFailure(w, r, err)
		return
	}
	s.core.Event(r, slog.LevelInfo, audit.FactorRemoved, "sub", u.ID, "factor_id", id)
	s.accountDone(w, r, "removed")
}

// handleRecoveryCodes replaces the user's recovery codes with new ones,
// shown once.
func (s *Server) handleRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	_, u, ok := s.accountForm(w, r, formRecovery)
	if !ok {
		return
	}
	factors, err := s.store.ListFactors(r.Context(), u.ID)
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	if len(factors) == 0 {
		s.errorAt(w, r, http.StatusConflict, "No factor yet", "Recovery codes stand in for a second factor you lost. Add a factor first.")
		return
	}
	codes, err := s.newRecoveryCodes(r, u)
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	s.renderCodes(w, r, codes, "")
}

// newRecoveryCodes replaces u's recovery codes with new ones, stored as
// digests, records it and returns the codes to show once.
func (s *Server) newRecoveryCodes(r *http.Request, u store.User) ([]string, error) {
	codes, hashes := mfa.NewRecoveryCodes()
	if err := s.store.ReplaceRecoveryCodes(r.Context(), u.ID, hashes, s.cfg.Now()); err != nil {
		return nil, fmt.Errorf("recovery codes: %w", err)
	}
	s.core.Event(r, slog.LevelInfo, audit.RecoveryCodesCreated, "sub", u.ID, "count", len(codes))
	return codes, nil
}

// codesPage is the data of account_codes.html: recovery codes, shown
// this once.
type codesPage struct {
	Page
	Codes []string
	// Next is where "I saved them" goes: the account page, or back to
	// the sign-in that asked for a factor.
	Next string
}

// renderCodes shows new recovery codes; next is where the person goes
// once they saved them (empty: the account page).
func (s *Server) renderCodes(w http.ResponseWriter, r *http.Request, codes []string, next string) {
	p := &codesPage{Codes: codes, Next: next}
	p.Base = base(r)
	if p.Next == "" {
		p.Next = p.Base + "account?done=added"
	}
	s.render(w, http.StatusOK, "account_codes.html", "Your recovery codes", p)
}

// handleEndSession ends one of the user's sessions and revokes the
// grants issued in it that were not for offline access, as an
// administrator ending it does (users.EndSession). Ending the current one
// signs this browser out.
func (s *Server) handleEndSession(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := s.accountForm(w, r, formEndSession)
	if !ok {
		return
	}
	sid := r.PostFormValue("sid")
	n, err := users.EndSession(r.Context(), s.store, u.ID, sid, s.cfg.Now())
	if errors.Is(err, store.ErrNotFound) {
		s.errorAt(w, r, http.StatusNotFound, "No such session", "You have no such session: it may have ended already. Open the account page to see the others.")
		return
	}
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	s.core.Event(r, slog.LevelInfo, audit.SessionEnded, "sub", u.ID, "sid", sid, "revoked_grants", n, "by", "user")
	if sid == sess.SID {
		s.cookies.clear(w, s.cookies.session)
	}
	s.accountDone(w, r, "ended")
}
