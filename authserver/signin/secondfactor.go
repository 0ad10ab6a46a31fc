package signin

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// The second factor: after a password, a user who enrolled a factor
// proves one, and so does anyone whose request (acr_values), client
// (require_mfa) or deployment (mfa.required) asks for more than a
// password (mfa.Required). A session that already signed in proves only
// what is missing (step-up): the password is not asked again. A user who
// must prove a factor and has none is sent to enrol one, and comes back
// through the resume route.

// formFactor is the CSRF purpose of the second-factor page's forms.
const formFactor = "factor"

// factorPage is the data of factor.html.
type factorPage struct {
	Page
	// ClientName names the application; Request and CSRF are posted
	// back; Error says why the last try failed.
	ClientName, Request, CSRF, Error string
	// TOTP offers the code form, Recovery the recovery code form.
	TOTP, Recovery bool
	// Options and State are the passkey ceremony for the user's
	// passkeys (mfa.WebAuthn.BeginLogin); Options is nil without one.
	Options json.RawMessage
	State   string
}

// required is the class the request needs (mfa.Required): its
// acr_values, raised by the deployment's or the client's policy.
func (s *Server) required(ar store.AuthRequest, c store.Client) string {
	return mfa.Required(ar.ACRValues, s.cfg.MFA.Required || c.RequireMFA)
}

// meets reports whether a sign-in of class level meets the class
// required ("" is met by any).
func meets(level, required string) bool {
	if required == "" {
		return true
	}
	_, ok := mfa.Satisfies(level, []string{required})
	return ok
}

// usableFactors are u's factors of the kinds policy allows.
func (s *Server) usableFactors(r *http.Request, u store.User) ([]store.Factor, error) {
	if !s.allowed(store.FactorTOTP) && !s.allowed(store.FactorPasskey) {
		return nil, nil
	}
	all, err := s.store.ListFactors(r.Context(), u.ID)
	if err != nil {
		return nil, fmt.Errorf("list factors: %w", err)
	}
	return slices.DeleteFunc(all, func(f store.Factor) bool { return !s.allowed(f.Kind) }), nil
}

// factorStep decides, for a signed-in session, whether a factor must be
// proved before the request goes on; if so it answers (the factor page,
// the enrolment page, or interaction_required for prompt=none) and
// reports true.
func (s *Server) factorStep(w http.ResponseWriter, r *http.Request, ar store.AuthRequest, c store.Client, u store.User, sess store.Session) bool {
	// The requirement is met by the session's class, a federated one's
	// upstream class included; a user's own factors are asked for whenever
	// this sign-in proved none of them, however strong the upstream's. A
	// session that proved one needs no look at the store.
	level, local, required := sessionLevel(sess), mfa.Level(sess.AMR), s.required(ar, c)
	if meets(level, required) && local != mfa.ACRSingleFactor {
		return false
	}
	factors, err := s.usableFactors(r, u)
	if err != nil {
		s.pageFailure(w, r, err)
		return true
	}
	if meets(level, required) && len(factors) == 0 {
		return false
	}
	if promptsNone(ar) {
		s.finish(w, r, ar, url.Values{"error": {"interaction_required"}, "error_description": {"the user must prove a second factor"}})
		return true
	}
	factors = offered(factors, local, required)
	if len(factors) == 0 {
		q := url.Values{"return": {resumePath(ar.ID)}}
		if required == mfa.ACRPhishingResistant {
			if !s.allowed(store.FactorPasskey) {
				s.finish(w, r, ar, url.Values{"error": {"access_denied"}, "error_description": {"the sign-in needs a passkey, which this server does not accept"}})
				return true
			}
			q.Set("kind", store.FactorPasskey)
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, s.cfg.Issuer+"/account/enrol?"+q.Encode(), http.StatusSeeOther)
		return true
	}
	s.renderFactor(w, r, ar, c, u, factors, required, http.StatusOK, "")
	return true
}

// offered are the factors the factor page offers a session of class
// level for a request needing required: all of them, but passkeys alone
// when only a passkey reaches the class (a one-time code would be asked
// for nothing). A user without a passkey proves another factor first,
// if the session has none yet, and is then sent to enrol a passkey: the
// enrolment pages take no session short of its user's factors, so a
// password alone adds no passkey.
func offered(factors []store.Factor, level, required string) []store.Factor {
	if required != mfa.ACRPhishingResistant {
		return factors
	}
	keys := ofKind(factors, store.FactorPasskey)
	if len(keys) > 0 || level != mfa.ACRSingleFactor {
		return keys
	}
	return factors
}

// codes reports whether factors include a factor of typed codes, which
// a recovery code stands in for.
func codes(factors []store.Factor) bool { return len(ofKind(factors, store.FactorTOTP)) > 0 }

// ofKind are the factors of one kind among factors, in their order; the
// one filter the pages use (never aliasing factors).
func ofKind(factors []store.Factor, kind string) []store.Factor {
	var out []store.Factor
	for _, f := range factors {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

// promptsNone reports prompt=none: the request allows no page.
func promptsNone(ar store.AuthRequest) bool { return slices.Contains(ar.Prompt, "none") }

// renderFactor shows the second-factor page with the forms of factors:
// a one-time code with a TOTP factor (and then the recovery code form,
// which stands in for a lost app), a passkey button with passkeys. A
// phishing-resistant requirement offers passkeys alone (factors is
// already cut to them).
func (s *Server) renderFactor(w http.ResponseWriter, r *http.Request, ar store.AuthRequest, c store.Client, u store.User, factors []store.Factor, required string, status int, msg string) {
	p := &factorPage{ClientName: clientName(c), Request: ar.ID, CSRF: s.csrfToken(w, r, formFactor, ar.ID), Error: msg}
	p.Base = base(r)
	passkeys := ofKind(factors, store.FactorPasskey)
	p.TOTP = codes(factors)
	p.Recovery = required != mfa.ACRPhishingResistant || codes(factors)
	if len(passkeys) > 0 {
		cer, err := s.cfg.MFA.WebAuthn.BeginLogin(u, passkeys)
		if err != nil {
			// The other forms still work; the page says nothing of it.
			s.log.ErrorContext(r.Context(), "begin passkey assertion", "err", err)
		} else {
			p.Options, p.State = cer.Options, cer.State
		}
	}
	s.render(w, status, "factor.html", "Verify it's you", p)
}

// handleFactor checks a second factor posted by the factor page: a TOTP
// code, a recovery code or a passkey assertion (method). A proved factor
// raises the session (mfa.Combine, mfa.Level, a fresh auth_time) and the
// request goes on; a refused one is audited and, for the guessable codes,
// throttled as passwords are.
func (s *Server) handleFactor(w http.ResponseWriter, r *http.Request) {
	if !s.signInAllowed(w, r) {
		return
	}
	ar, c, ok := s.pendingRequest(w, r, formFactor)
	if !ok {
		return
	}
	sess := s.session(w, r)
	if sess == nil {
		s.renderLogin(w, r, ar, c, http.StatusOK, "Please sign in again.", "")
		return
	}
	u, err := users.Active(r.Context(), s.store, sess.UserID)
	if err != nil {
		s.renderLogin(w, r, ar, c, http.StatusOK, "Please sign in again.", "")
		return
	}
	factors, err := s.usableFactors(r, u)
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	required := s.required(ar, c)
	factors = offered(factors, mfa.Level(sess.AMR), required)
	var proof factorProof
	switch method := r.PostFormValue("method"); method {
	case "totp", "recovery":
		if method == "recovery" && required == mfa.ACRPhishingResistant && !codes(factors) {
			proof = factorProof{status: http.StatusBadRequest, msg: "This application needs a passkey."}
			break
		}
		proof = s.proveCode(r, u, factors, method, r.PostFormValue("code"))
	case "passkey":
		proof = s.provePasskey(r, u, factors)
	default:
		proof = factorProof{status: http.StatusBadRequest, msg: "Choose a way to verify it's you."}
	}
	if proof.err != nil {
		s.pageFailure(w, r, proof.err)
		return
	}
	if proof.amr == nil {
		if proof.reason != "" {
			s.core.Event(r, slog.LevelWarn, audit.FactorFailed, "sub", u.ID, "client_id", c.ID, "kind", proof.kind, "reason", proof.reason, "remote", r.RemoteAddr)
		}
		if proof.wait > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(int(proof.wait.Seconds())+1))
		}
		s.renderFactor(w, r, ar, c, u, factors, required, proof.status, proof.msg)
		return
	}
	if err := s.raiseSession(r, sess, proof.amr); errors.Is(err, store.ErrNotFound) {
		s.renderLogin(w, r, ar, c, http.StatusOK, "Please sign in again.", "")
		return
	} else if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	if proof.kind == "recovery" {
		s.core.Event(r, slog.LevelInfo, audit.RecoveryCodeUsed, "sub", u.ID, "client_id", c.ID, "remote", r.RemoteAddr)
	} else {
		s.core.Event(r, slog.LevelInfo, audit.FactorUsed, "sub", u.ID, "client_id", c.ID, "kind", proof.kind, "factor_id", proof.factorID, "remote", r.RemoteAddr)
	}
	s.proceed(w, r, ar, c, s.session(w, r))
}
