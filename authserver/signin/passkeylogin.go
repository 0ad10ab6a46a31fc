package signin

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/store"
)

// A passkey signs in without a password (or a username): the login page
// offers a discoverable-credential ceremony (mfa.WebAuthn.BeginLogin for
// no user), whose assertion names the user by its user handle. A passkey
// that verified its user (a PIN, a biometric) is two factors in one
// (amr mfa), so the sign-in needs no other.

// formPasskeyLogin is the CSRF purpose of the login page's passkey form.
const formPasskeyLogin = "passkey-login"

// passkeyForm is the login page's passkey ceremony: Options (nil when
// passkeys are not offered), State and the form's CSRF token.
type passkeyForm struct {
	Options     json.RawMessage
	State, CSRF string
}

// loginPasskey starts the login page's username-less ceremony; the zero
// passkeyForm when passkeys are not allowed or the ceremony fails (the
// password form still works).
func (s *Server) loginPasskey(w http.ResponseWriter, r *http.Request, ar store.AuthRequest) passkeyForm {
	if !s.allowed(store.FactorPasskey) {
		return passkeyForm{}
	}
	cer, err := s.cfg.MFA.WebAuthn.BeginLogin(store.User{}, nil)
	if err != nil {
		s.log.ErrorContext(r.Context(), "begin passkey sign-in", "err", err)
		return passkeyForm{}
	}
	return passkeyForm{Options: cer.Options, State: cer.State, CSRF: s.csrfToken(w, r, formPasskeyLogin, ar.ID)}
}

// handlePasskeyLogin signs in with a passkey assertion posted by the
// login page, for the pending request the form names, as handleLogin does
// with a password.
func (s *Server) handlePasskeyLogin(w http.ResponseWriter, r *http.Request) {
	if !s.signInAllowed(w, r) {
		return
	}
	ar, c, ok := s.pendingRequest(w, r, formPasskeyLogin)
	if !ok {
		return
	}
	if !s.allowed(store.FactorPasskey) {
		s.renderLogin(w, r, ar, c, http.StatusBadRequest, "Passkeys are not accepted here. Sign in with your password.", "")
		return
	}
	u, f, amr, err := s.assertion(r, true, func(f store.Factor) (store.User, error) {
		return s.store.GetUser(r.Context(), f.UserID)
	})
	// The passkey alone signs in only if it verified its user (mfa):
	// without that it is one factor, and no password was asked.
	if err == nil && !slices.Contains(amr, mfa.AMRMultiFactor) {
		err = fmt.Errorf("%w: user not verified", mfa.ErrCeremony)
	}
	if refusedAssertion(err) || errors.Is(err, store.ErrNotFound) {
		s.core.Event(r, slog.LevelWarn, audit.LoginFailed, "client_id", c.ID, "method", "passkey", "reason", "passkey refused", "remote", r.RemoteAddr)
		s.renderLogin(w, r, ar, c, http.StatusBadRequest, "The passkey could not be verified. Try again, or sign in with your password.", "")
		return
	}
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	if u.Disabled {
		s.core.Event(r, slog.LevelWarn, audit.LoginFailed, "sub", u.ID, "client_id", c.ID, "method", "passkey", "reason", "disabled")
		s.renderLogin(w, r, ar, c, http.StatusBadRequest, "The passkey could not be verified. Try again, or sign in with your password.", "")
		return
	}
	sess, ok := s.startSession(w, r, u, methodPasskey, amr)
	if !ok {
		return
	}
	s.core.Event(r, slog.LevelInfo, audit.LoginSucceeded, "sub", u.ID, "client_id", c.ID, "remote", r.RemoteAddr, "method", "passkey", "factor_id", f.ID)
	s.proceed(w, r, ar, c, &sess)
}
