package signin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/store"
)

// resumePrefix is the only place enrolment returns to besides the
// account page: the sign-in that asked for a factor (the signin flow's
// resume route), relative to the issuer.
const resumePrefix = "/authorize/resume?"

// returnPath checks the return parameter of the enrolment pages: empty,
// or a path of the issuer starting with resumePrefix. Anything else
// (another host, a scheme, "//", another route) is refused, so that the
// pages redirect nowhere but here.
func returnPath(ret string) (string, bool) {
	if ret == "" {
		return "", true
	}
	if !strings.HasPrefix(ret, resumePrefix) || strings.ContainsAny(ret, "\\#\r\n\t ") {
		return "", false
	}
	u, err := url.Parse(ret)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path != strings.TrimSuffix(resumePrefix, "?") {
		return "", false
	}
	return ret, true
}

// enrolPage is the data of account_enrol.html: the choice of a kind of
// factor to add.
type enrolPage struct {
	Page
	TOTP, Passkey bool
	// Return is the validated return parameter, kept in the links.
	Return string
}

// handleEnrol is the enrolment page: the choice of kind, or with kind
// (or only one kind allowed) that kind's page. return, when set, is the
// sign-in to continue with once a factor is added (the signin flow sends
// a user who must use a factor and has none here).
func (s *Server) handleEnrol(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := s.accountSession(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	ret, ok := returnPath(q.Get("return"))
	if !ok {
		s.errorAt(w, r, http.StatusBadRequest, "Invalid request", "The return address is not a sign-in of this server.")
		return
	}
	if !s.sudo(sess) {
		// Back here after signing in again, return= and all: a sign-in
		// that sent the user to enrol must go on afterwards.
		s.startSelfSignIn(w, r, r.URL.RequestURI(), true)
		return
	}
	kind := q.Get("kind")
	if kind == "" {
		switch totp, passkey := s.allowed(store.FactorTOTP), s.allowed(store.FactorPasskey); {
		case totp && !passkey:
			kind = store.FactorTOTP
		case passkey && !totp:
			kind = store.FactorPasskey
		default:
			p := &enrolPage{TOTP: totp, Passkey: passkey, Return: ret}
			p.Base = base(r)
			s.render(w, http.StatusOK, "account_enrol.html", "Add a factor", p)
			return
		}
	}
	if (kind != store.FactorTOTP && kind != store.FactorPasskey) || !s.allowed(kind) {
		s.errorAt(w, r, http.StatusBadRequest, "Invalid request", "This kind of factor cannot be added here.")
		return
	}
	if kind == store.FactorTOTP {
		s.startTOTP(w, r, sess, u, ret)
		return
	}
	s.startPasskey(w, r, sess, u, ret, "", http.StatusOK)
}

// enrolForm checks an enrolment form as accountForm does, for the
// kind's form, and that the kind is allowed; it returns the validated
// return parameter too.
func (s *Server) enrolForm(w http.ResponseWriter, r *http.Request, kind, form string) (*store.Session, store.User, string, bool) {
	sess, u, ok := s.accountForm(w, r, form)
	if !ok {
		return nil, store.User{}, "", false
	}
	if !s.allowed(kind) {
		s.errorAt(w, r, http.StatusBadRequest, "Invalid request", "This kind of factor cannot be added here.")
		return nil, store.User{}, "", false
	}
	ret, ok := returnPath(r.PostFormValue("return"))
	if !ok {
		s.errorAt(w, r, http.StatusBadRequest, "Invalid request", "The return address is not a sign-in of this server.")
		return nil, store.User{}, "", false
	}
	return sess, u, ret, true
}

// finishEnrol stores a factor just proved and records it. Enrolment
// raises a session only when it gives the user a first factor (a sign-in
// that must use a factor and found none, or the account page's first
// one), and then to mfa at most: firstFactorAMR. Whoever holds the
// password chose the factor, so it is no stronger than that sign-in plus
// a factor seen once; a passkey reaches phr only when a later assertion
// uses it. A user who already had a factor is not raised at all: a
// factor added from a session is only as strong as that session until it
// is used. A user who had no factor, or has no recovery codes left, then
// gets new codes, shown once; otherwise the person goes on: to ret, or
// the account page.
func (s *Server) finishEnrol(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User, f store.Factor, ret string) {
	ctx := r.Context()
	before, err := s.store.ListFactors(ctx, u.ID)
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	if err := s.store.CreateFactor(ctx, f); errors.Is(err, store.ErrAlreadyExists) {
		s.errorAt(w, r, http.StatusConflict, "Already added", "This factor is already registered. Open the account page to see your factors.")
		return
	} else if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	s.core.Event(r, slog.LevelInfo, audit.FactorAdded, "sub", u.ID, "factor_id", f.ID, "kind", f.Kind)
	first := len(before) == 0
	if first {
		if err := s.raiseSession(r, sess, firstFactorAMR(f.Kind)); err != nil {
			s.pageFailure(w, r, err)
			return
		}
	}
	left, err := s.store.CountRecoveryCodes(ctx, u.ID)
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	next := s.cfg.Issuer + "/account?done=added"
	if ret != "" {
		next = s.cfg.Issuer + ret
	}
	if left > 0 && !first {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	codes, err := s.newRecoveryCodes(r, u)
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	s.renderCodes(w, r, codes, next)
}

// firstFactorAMR are the methods a first factor's enrolment adds to the
// session: a TOTP code typed (otp, as at sign-in), and for a passkey only
// mfa (two factors: the password and a key shown once), without hwk or
// swk, which would make the session phr (mfa.Level) on the word of
// whoever held the password.
func firstFactorAMR(kind string) []string {
	if kind == store.FactorTOTP {
		return []string{mfa.AMROTP}
	}
	return []string{mfa.AMRMultiFactor}
}

// raiseSession adds the methods amr of a factor just proved to the
// session (mfa.Combine), sets its class (mfa.Level, never below the class
// it had: a federated session's upstream class stays) and makes its
// sign-in time now: the proof is as fresh as a sign-in.
func (s *Server) raiseSession(r *http.Request, sess *store.Session, amr []string) error {
	now := s.cfg.Now()
	err := s.store.UpdateSession(r.Context(), sess.IDHash, now, func(ss *store.Session) error {
		was := sessionLevel(*ss)
		ss.AMR = mfa.Combine(ss.AMR, amr...)
		ss.ACR = stronger(was, mfa.Level(ss.AMR))
		ss.AuthTime = now
		return nil
	})
	if err != nil {
		return fmt.Errorf("raise session: %w", err)
	}
	return nil
}

// newFactorID is a new factor's ID.
func newFactorID() string { return wire.RandomToken() }
