package signin

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/connectors"
	"github.com/portcullis/portcullis/store"
)

// A redirect connector's sign-in leaves for the upstream and comes back to
// the one callback of every connector, {issuer}/login/callback. What it
// must find there (the pending request, the connector, the state, nonce
// and PKCE verifier) travels sealed in a short-lived cookie bound to the
// browser cookie, so nothing is stored until the sign-in succeeds, and
// the state is spent once (store.UseOnce) so a callback cannot be
// replayed.

// upstreamCookieName names the cookie of a sign-in away at an upstream.
const upstreamCookieName = "portcullis_upstream"

// sealUpstream is the mfa.Sealer purpose of that cookie.
const sealUpstream = "upstream"

// upstreamTTL bounds a sign-in at an upstream: the pending request's own
// lifetime.
const upstreamTTL = authRequestTTL

// callbackPath is the redirect URI operators register at every upstream,
// after the issuer.
const callbackPath = "/login/callback"

// upstreamTrip is what the cookie carries.
type upstreamTrip struct {
	Request   string `json:"r"`
	Connector string `json:"c"`
	State     string `json:"s"`
	Nonce     string `json:"n,omitempty"`
	Verifier  string `json:"v,omitempty"`
	Expires   int64  `json:"e"`
}

// upstreamCookie is the cookie's name: with the __Host- prefix when the
// others have it.
func (s *Server) upstreamCookie() string {
	if s.cookies.session != sessionCookieName {
		return "__Host-" + upstreamCookieName
	}
	return upstreamCookieName
}

// handleConnector is a "Continue with" button of the login page: a
// redirect connector's sign-in starts; a directory's shows its form.
func (s *Server) handleConnector(w http.ResponseWriter, r *http.Request) {
	if !s.signInAllowed(w, r) {
		return
	}
	ar, c, ok := s.pendingRequest(w, r, formLogin)
	if !ok {
		return
	}
	k, ok := s.connector(c, r.PostFormValue("connector"))
	if !ok {
		s.errorAt(w, r, http.StatusBadRequest, "Sign-in refused", "This way of signing in is not offered to this application.")
		return
	}
	if k.Password != nil {
		// The choice is kept, so that a wrong password shows this form
		// again.
		ar.Connector = k.ID
		if err := s.store.SaveAuthRequest(r.Context(), ar); err != nil {
			s.pageFailure(w, r, err)
			return
		}
		s.renderLogin(w, r, ar, c, http.StatusOK, "", ar.LoginHint)
		return
	}
	s.startUpstream(w, r, ar, c, k)
}

// startUpstream sends the browser to the upstream of k for ar, with the
// request's login_hint, prompt=login and max_age, and sets the cookie the callback needs.
func (s *Server) startUpstream(w http.ResponseWriter, r *http.Request, ar store.AuthRequest, c store.Client, k Connector) {
	so := connectors.StartOptions{LoginHint: ar.LoginHint, MaxAge: ar.MaxAge}
	if slices.Contains(ar.Prompt, "login") {
		so.Prompt = "login"
	}
	authURL, st, err := k.Redirect.Start(r.Context(), s.cfg.Issuer+callbackPath, so)
	if err != nil {
		s.upstreamFailed(w, r, c, k, err)
		return
	}
	trip := upstreamTrip{Request: ar.ID, Connector: k.ID, State: st.State, Nonce: st.Nonce, Verifier: st.Verifier,
		Expires: s.cfg.Now().Add(upstreamTTL).Unix()}
	plain, _ := json.Marshal(trip)
	sealed := s.cfg.MFA.Sealer.Seal(sealUpstream, s.browserID(w, r), plain)
	s.cookies.set(w, s.upstreamCookie(), base64.RawURLEncoding.EncodeToString(sealed), int(upstreamTTL.Seconds()))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

// openTrip reads the upstream cookie of r, sealed for this browser and
// not expired.
func (s *Server) openTrip(r *http.Request) (upstreamTrip, bool) {
	ck, err := r.Cookie(s.upstreamCookie())
	if err != nil {
		return upstreamTrip{}, false
	}
	b, ok := s.cookies.browserCookieValue(r)
	if !ok {
		return upstreamTrip{}, false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return upstreamTrip{}, false
	}
	plain, err := s.cfg.MFA.Sealer.Open(sealUpstream, b, sealed)
	if err != nil {
		return upstreamTrip{}, false
	}
	var t upstreamTrip
	if json.Unmarshal(plain, &t) != nil || t.State == "" || s.cfg.Now().Unix() > t.Expires {
		return upstreamTrip{}, false
	}
	return t, true
}

// upstreamFailed answers a connector's error: an outage (ErrUpstream, or
// anything not a refusal) is a 502 page naming the connector, with the
// request ID, which leaves password sign-in working; a refused answer
// (ErrRefused) is a 400 page and a warning, as a possible attack.
func (s *Server) upstreamFailed(w http.ResponseWriter, r *http.Request, c store.Client, k Connector, err error) {
	if errors.Is(err, connectors.ErrRefused) {
		s.fedFailed(r, slog.LevelWarn, c, k.ID, "refused", err)
		s.errorAt(w, r, http.StatusBadRequest, "Sign-in refused",
			"The answer from "+k.Name+" could not be accepted. Return to the application and try again.")
		return
	}
	s.fedFailed(r, slog.LevelError, c, k.ID, "upstream unavailable", err)
	s.errorAt(w, r, http.StatusBadGateway, k.Name+" is not available",
		k.Name+" could not be reached to sign you in. Try again later, or return to the application and sign in another way.")
}

// fedFailed records a failed federated sign-in: the connector and why;
// err's text comes from the connector, which never puts a secret, token
// or code in it.
func (s *Server) fedFailed(r *http.Request, level slog.Level, c store.Client, connector, reason string, err error) {
	kv := []any{"connector", connector, "reason", reason, "client_id", c.ID, "remote", r.RemoteAddr}
	if err != nil {
		kv = append(kv, "detail", err.Error())
	}
	s.core.Event(r, level, audit.FederatedLoginFailed, kv...)
}
