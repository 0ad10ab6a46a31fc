package signin

import (
	"cmp"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/connectors"
	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// handleCallback is where every redirect connector's upstream sends the
// browser back (RFC 6749 section 4.1.2): the cookie set at the start names
// the pending request and holds the state, nonce and PKCE verifier; the
// state is spent once; the connector checks the answer; the user is found,
// linked or created; the sign-in proceeds as after a password.
func (s *Server) handleCallback(w http.ResponseWriter, r *http.Request) {
	if !s.signInAllowed(w, r) {
		return
	}
	trip, ok := s.openTrip(r)
	s.cookies.clear(w, s.upstreamCookie())
	if !ok {
		s.core.Event(r, slog.LevelWarn, audit.FederatedLoginFailed, "reason", "no valid sign-in cookie", "remote", r.RemoteAddr)
		s.errorAt(w, r, http.StatusBadRequest, "Sign-in expired",
			"This sign-in was not started in this browser, or took too long. Return to the application and try again.")
		return
	}
	ar, c, ok := s.boundRequest(w, r, trip.Request, "")
	if !ok {
		return
	}
	k, ok := s.connector(c, trip.Connector)
	if !ok || k.Redirect == nil {
		s.errorAt(w, r, http.StatusBadRequest, "Sign-in refused", "This way of signing in is no longer offered to this application.")
		return
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(trip.State)) != 1 {
		s.fedFailed(r, slog.LevelWarn, c, k.ID, "state mismatch", nil)
		s.errorAt(w, r, http.StatusBadRequest, "Sign-in refused",
			"The answer from "+k.Name+" does not belong to this sign-in. Return to the application and try again.")
		return
	}
	// The spent state is remembered as long as its cookie could be
	// presented.
	if err := s.store.UseOnce(r.Context(), "upstream:"+trip.State, time.Unix(trip.Expires, 0)); errors.Is(err, store.ErrReplay) {
		s.fedFailed(r, slog.LevelWarn, c, k.ID, "state replayed", nil)
		s.errorAt(w, r, http.StatusBadRequest, "Sign-in refused",
			"This answer from "+k.Name+" was used already. Return to the application and try again.")
		return
	} else if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	if q.Get("error") == "access_denied" {
		s.upstreamCancelled(w, r, ar, c, k)
		return
	}
	st := connectors.State{State: trip.State, Nonce: trip.Nonce, Verifier: trip.Verifier}
	id, err := k.Redirect.Finish(r.Context(), s.cfg.Issuer+callbackPath, st, q)
	if err != nil {
		s.upstreamFailed(w, r, c, k, err)
		return
	}
	s.federated(w, r, ar, c, k, id, "")
}

// upstreamCancelled answers the upstream's access_denied (RFC 6749
// section 4.1.2.1) to this sign-in: the person said no, or the upstream
// would not let them in. Not an attack: an info event, and the client
// gets access_denied as it would from a cancel here; a self sign-in
// shows the login page again.
func (s *Server) upstreamCancelled(w http.ResponseWriter, r *http.Request, ar store.AuthRequest, c store.Client, k Connector) {
	s.fedFailed(r, slog.LevelInfo, c, k.ID, "cancelled at the upstream", nil)
	if isSelf(ar) {
		s.renderLogin(w, r, ar, c, http.StatusOK, "Sign-in with "+k.Name+" was cancelled.", "")
		return
	}
	s.finish(w, r, ar, url.Values{"error": {"access_denied"}, "error_description": {"the sign-in at " + k.Name + " was cancelled or refused"}})
}

// federated signs in the user of id, whom the connector k vouched for:
// users.Federate finds, links or creates them; the session's amr is
// ["fed"] and its acr the upstream's when the connector trusts it
// (TrustACR), else mfa.Level's (sessionLevel reads it); then the flow goes on as after a password (second factor,
// consent, code).
//
// typed is the username typed into a directory's form ("" for a redirect
// connector), shown again on the login page when the sign-in is refused.
// It reports whether a session started.
func (s *Server) federated(w http.ResponseWriter, r *http.Request, ar store.AuthRequest, c store.Client, k Connector, id connectors.Identity, typed string) bool {
	authTime := s.upstreamAuthTime(ar, id)
	if s.needsLogin(ar, &store.Session{AuthTime: authTime}) {
		// The upstream reused a sign-in older than the request allows
		// (it ignored prompt=login or max_age): going on would loop.
		s.fedFailed(r, slog.LevelInfo, c, k.ID, "upstream sign-in too old for prompt=login or max_age", nil)
		s.renderLogin(w, r, ar, c, http.StatusOK, k.Name+" did not ask you to sign in again, and this application needs a recent sign-in. Sign in another way, or sign out at "+k.Name+" and try again.", "")
		return false
	}
	u, outcome, err := users.Federate(r.Context(), s.store, k.ID, id, k.Rules, s.cfg.Now())
	switch {
	case errors.Is(err, users.ErrNoAccount):
		s.fedFailed(r, slog.LevelWarn, c, k.ID, "no account", nil)
		s.errorAt(w, r, http.StatusForbidden, "No account",
			"Your "+k.Name+" account is not linked to an account here, and accounts are not created on first sign-in. Ask the administrator for access.")
		return false
	case errors.Is(err, users.ErrDisabled) && k.Password != nil:
		// As with a Portcullis password: the right password of a
		// disabled account gets the wrong password's page, so the page
		// tells no one that the account exists or is disabled.
		s.fedFailed(r, slog.LevelWarn, c, k.ID, "disabled", nil)
		s.renderLogin(w, r, ar, c, http.StatusOK, wrongPassword, typed)
		return false
	case errors.Is(err, users.ErrDisabled):
		s.fedFailed(r, slog.LevelWarn, c, k.ID, "disabled", nil)
		s.errorAt(w, r, http.StatusForbidden, "Account disabled", "Your account here is disabled. Ask the administrator for access.")
		return false
	case err != nil:
		s.pageFailure(w, r, err)
		return false
	}
	if outcome == users.LinkedByEmail {
		s.core.Event(r, slog.LevelInfo, audit.AccountLinked, "sub", u.ID, "connector", k.ID, "client_id", c.ID)
	}
	amr := []string{mfa.AMRFederated}
	acr := mfa.Level(amr)
	if k.TrustACR {
		acr = cmp.Or(id.ACR, acr)
	}
	sess, ok := s.startSessionACR(w, r, u, methodConnector+k.ID, amr, acr, authTime)
	if !ok {
		return false
	}
	s.core.Event(r, slog.LevelInfo, audit.FederatedLogin, "sub", u.ID, "client_id", c.ID, "connector", k.ID,
		"outcome", outcomeName(outcome), "upstream_acr", id.ACR, "remote", r.RemoteAddr)
	s.proceed(w, r, ar, c, &sess)
	return true
}

// upstreamSkew is how far an upstream's clock may lag ours: an auth_time
// that much before the request still counts as a sign-in made for it.
const upstreamSkew = 30 * time.Second

// upstreamAuthTime is the session's auth time of a federated sign-in: the
// upstream's auth_time when it gives one (not in the future), counted as
// the request's start when it is within upstreamSkew before it; else now
// (GitHub and LDAP say nothing: the time of the callback).
func (s *Server) upstreamAuthTime(ar store.AuthRequest, id connectors.Identity) time.Time {
	now := s.cfg.Now()
	t := id.AuthTime
	switch {
	case t.IsZero() || t.After(now):
		return now
	case t.Before(ar.CreatedAt) && !t.Before(ar.CreatedAt.Add(-upstreamSkew)):
		return ar.CreatedAt
	}
	return t
}

// outcomeName names a users.Outcome in the audit trail.
func outcomeName(o users.Outcome) string {
	switch o {
	case users.LinkedByEmail:
		return "linked_by_email"
	case users.Created:
		return "created"
	default:
		return "linked"
	}
}
