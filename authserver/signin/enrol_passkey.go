package signin

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/store"
)

// passkeyPage is the data of account_passkey.html, run by passkey.js.
type passkeyPage struct {
	Page
	// Options is the creation options' JSON for navigator.credentials
	// (json.RawMessage, so the template writes it escaped as JSON);
	// State the sealed ceremony state, posted back.
	Options json.RawMessage
	State   string
	// Name is the typed name, Return the validated return parameter,
	// Error why the last try failed.
	Name, Return, CSRF, Error string
}

// startPasskey begins a registration ceremony and shows its page; msg
// says why the last one failed.
func (s *Server) startPasskey(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User, ret, msg string, status int) {
	factors, err := s.store.ListFactors(r.Context(), u.ID)
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	c, err := s.cfg.MFA.WebAuthn.BeginRegistration(u, ofKind(factors, store.FactorPasskey))
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	p := &passkeyPage{Options: c.Options, State: c.State, Name: r.PostFormValue("name"), Return: ret, Error: msg,
		CSRF: s.sessionCSRF(w, r, formEnrolPasskey, sess)}
	p.Base = base(r)
	s.render(w, status, "account_passkey.html", "Add a passkey", p)
}

// handleEnrolPasskey finishes a registration ceremony: its challenge is
// spent once, the response checked and the factor stored (finishEnrol:
// a registration is no assertion, and never makes a session phr). A refused response starts a new ceremony on the same page.
func (s *Server) handleEnrolPasskey(w http.ResponseWriter, r *http.Request) {
	sess, u, ret, ok := s.enrolForm(w, r, store.FactorPasskey, formEnrolPasskey)
	if !ok {
		return
	}
	name, problem := factorName(r.PostFormValue("name"), kindName(store.FactorPasskey))
	if problem != "" {
		s.startPasskey(w, r, sess, u, ret, problem, http.StatusBadRequest)
		return
	}
	state, response := r.PostFormValue("state"), r.PostFormValue("response")
	challenge := s.cfg.MFA.WebAuthn.Challenge(state)
	if challenge == "" || response == "" {
		s.startPasskey(w, r, sess, u, ret, "The passkey was not created, or the page expired. Try again.", http.StatusBadRequest)
		return
	}
	// Spent before the response is checked, so that one ceremony
	// registers at most once however often it is posted.
	err := s.store.UseOnce(r.Context(), "webauthn:"+challenge, s.cfg.Now().Add(s.cfg.MFA.CeremonyTimeout))
	if errors.Is(err, store.ErrReplay) {
		s.startPasskey(w, r, sess, u, ret, "This passkey request was already used. Try again.", http.StatusBadRequest)
		return
	}
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	f, err := s.cfg.MFA.WebAuthn.FinishRegistration(u, newFactorID(), name, state, []byte(response))
	if errors.Is(err, mfa.ErrCeremony) || errors.Is(err, mfa.ErrSealed) {
		s.startPasskey(w, r, sess, u, ret, "The passkey was refused. Try again, or use another authenticator.", http.StatusBadRequest)
		return
	}
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	f.CreatedAt = s.cfg.Now()
	s.finishEnrol(w, r, sess, u, f, ret)
}
