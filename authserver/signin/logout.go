package signin

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// logoutPage is the data of logout.html.
type logoutPage struct {
	Page
	// Done says the session has ended; Stayed that the person chose to
	// stay signed in and there is nowhere to return to.
	Done, Stayed bool
	// ClientName names the application that asked (empty when unknown),
	// Username the account signed in here (empty when none is).
	ClientName, Username string
	// StayURL is where "Stay signed in" returns: the validated
	// post_logout_redirect_uri with state. Empty means the choice is
	// posted back and answered with Stayed.
	StayURL string
	// CSRF is the form's token; Params are the request's parameters
	// the form posts back.
	CSRF   string
	Params map[string]string
}

// handleLogout is the end-session endpoint (OpenID Connect RP-Initiated
// Logout 1.0). With a valid id_token_hint for the signed-in user it ends the
// session, and revokes the grants issued in it that are not for offline
// access, at once; otherwise the user confirms, so that another site
// cannot sign them out. It returns to post_logout_redirect_uri only if that
// is registered for the client, exactly.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	params, err := authorizeParams(w, r)
	if err != nil {
		s.refuseForm(w, "Invalid sign-out request", err)
		return
	}
	for k, vs := range params {
		if len(vs) > 1 {
			s.renderError(w, http.StatusBadRequest, "Invalid sign-out request", "Parameter "+wire.Clip(k)+" is repeated.")
			return
		}
	}
	clientID, redirect := params.Get("client_id"), params.Get("post_logout_redirect_uri")
	var hintSub string
	if hint := params.Get("id_token_hint"); hint != "" {
		sub, aud, ok := s.core.IDTokenHint(hint)
		if !ok || (clientID != "" && !slices.Contains(aud, clientID)) {
			s.renderError(w, http.StatusBadRequest, "Invalid sign-out request", "The id_token_hint was not issued by this server for this application.")
			return
		}
		hintSub = sub
		if clientID == "" && len(aud) == 1 {
			clientID = aud[0]
		}
	}
	if redirect != "" {
		c, err := s.core.Client(r.Context(), clientID)
		if err != nil || !slices.Contains(c.PostLogoutRedirectURIs, redirect) {
			s.renderError(w, http.StatusBadRequest, "Invalid sign-out request", "The post_logout_redirect_uri is not registered for this application.")
			return
		}
	}
	sess := s.session(w, r)
	confirmed := hintSub != "" && (sess == nil || sess.UserID == hintSub)
	if r.Method == http.MethodPost && r.PostFormValue("confirm") == "yes" {
		if !s.checkCSRF(r, formLogout, "") {
			s.core.Event(r, slog.LevelWarn, audit.CSRFFailed, "path", r.URL.Path, "remote", r.RemoteAddr)
			s.renderError(w, http.StatusForbidden, "Request refused", "This form was not sent from the sign-out page in this browser.")
			return
		}
		confirmed = true
	}
	if !confirmed {
		s.askLogout(w, r, params, clientID, sess)
		return
	}
	if sess != nil {
		// The grants issued in the session end with it, their refresh
		// tokens included, except those the user authorized for offline
		// access, which exist to outlive it (OpenID Connect Core section
		// 11). Revoked first, so that a failure leaves the session to
		// retry the logout with.
		n, err := s.store.RevokeSessionGrants(r.Context(), sess.SID, s.cfg.Now())
		if err != nil {
			s.pageFailure(w, r, err)
			return
		}
		if err := s.store.DeleteSession(r.Context(), sess.IDHash); err != nil {
			s.pageFailure(w, r, err)
			return
		}
		// Once more now that the session is gone: a sign-in that read it
		// before the deletion may have created a grant since the first pass.
		m, err := s.store.RevokeSessionGrants(r.Context(), sess.SID, s.cfg.Now())
		if err != nil {
			s.pageFailure(w, r, err)
			return
		}
		n += m
		s.core.Event(r, slog.LevelInfo, audit.Logout, "sub", sess.UserID, "client_id", clientID, "revoked_grants", n)
	}
	s.cookies.clear(w, s.cookies.session)
	if redirect == "" {
		s.render(w, http.StatusOK, "logout.html", "Signed out", &logoutPage{Done: true})
		return
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, returnURL(redirect, params.Get("state")), http.StatusSeeOther)
}

// askLogout answers a logout the person has not confirmed: the page that
// names the application and the account and offers "Sign out" and "Stay
// signed in"; or, when they chose to stay and there is nowhere to return
// to, the page that says they still are. params are valid: a
// post_logout_redirect_uri among them is registered for clientID.
func (s *Server) askLogout(w http.ResponseWriter, r *http.Request, params url.Values, clientID string, sess *store.Session) {
	p := &logoutPage{}
	if c, err := s.core.Client(r.Context(), clientID); clientID != "" && err == nil {
		p.ClientName = clientName(c)
	}
	if sess != nil {
		if u, err := users.Active(r.Context(), s.store, sess.UserID); err == nil {
			p.Username = u.Username
		}
	}
	if redirect := params.Get("post_logout_redirect_uri"); redirect != "" {
		p.StayURL = returnURL(redirect, params.Get("state"))
	}
	if r.Method == http.MethodPost && r.PostFormValue("confirm") == "no" {
		p.Stayed = true
		s.render(w, http.StatusOK, "logout.html", "Still signed in", p)
		return
	}
	p.CSRF, p.Params = s.csrfToken(w, r, formLogout, ""), map[string]string{}
	for _, k := range []string{"client_id", "post_logout_redirect_uri", "state"} {
		if v := params.Get(k); v != "" {
			p.Params[k] = v
		}
	}
	s.render(w, http.StatusOK, "logout.html", "Sign out", p)
}

// returnURL is a post_logout_redirect_uri with the client's state
// (OpenID Connect RP-Initiated Logout 1.0 section 3).
func returnURL(redirect, state string) string {
	u, _ := url.Parse(redirect) // registered URIs are validated at start
	if state != "" {
		q := u.Query()
		q.Set("state", state)
		u.RawQuery = q.Encode()
	}
	return u.String()
}
