package console

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"

	"golang.org/x/oauth2"
)

// handleLogin starts a sign-in: authorization code with PKCE (RFC 7636)
// and a state bound to this browser by the login cookie.
func (c *Console) handleLogin(w http.ResponseWriter, r *http.Request) {
	l := login{State: randomID(), Verifier: oauth2.GenerateVerifier(), Next: c.localPath(r.URL.Query().Get("next")),
		Expiry: c.cfg.Now().Add(loginTTL)}
	if err := c.setCookie(w, loginCookie, l, loginTTL); err != nil {
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, c.oauth.AuthCodeURL(l.State, oauth2.S256ChallengeOption(l.Verifier)), http.StatusSeeOther)
}

// localPath is next if it is a page of the console, else the overview:
// the sign-in returns only into the console. next must be a path (no
// scheme, no host), under the console once browsers resolve its dot
// segments (%2e included), with no backslash, which browsers read as a
// slash, and must not start with two slashes, which browsers read as a
// host however many follow.
func (c *Console) localPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || strings.ContainsAny(next, "\\\r\n\t") {
		return c.base
	}
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	if clean != u.Path || !strings.HasPrefix(u.Path, c.base) || strings.HasPrefix(next, "//") {
		return c.base
	}
	return next
}

// handleCallback ends a sign-in: it checks the state against the login
// cookie, exchanges the code with the PKCE verifier, and keeps the tokens
// in the session cookie.
func (c *Console) handleCallback(w http.ResponseWriter, r *http.Request) {
	var l login
	q := r.URL.Query()
	if c.readCookie(r, loginCookie, &l) != nil || c.cfg.Now().After(l.Expiry) || q.Get("state") == "" || q.Get("state") != l.State {
		c.problem(w, r, http.StatusBadRequest, "Sign-in did not complete", "This sign-in was not started in this browser, or took too long. Start again.", true)
		return
	}
	c.clearCookie(w, loginCookie)
	if e := q.Get("error"); e != "" {
		c.problem(w, r, http.StatusForbidden, "Sign-in did not complete", "The authorization server answered: "+e+". "+q.Get("error_description"), true)
		return
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, c.hc)
	tok, err := c.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(l.Verifier))
	var refused *oauth2.RetrieveError
	switch {
	case errors.As(err, &refused) && refused.Response != nil && refused.Response.StatusCode < 500:
		// The code was refused (invalid_grant: used, expired, or not
		// this sign-in's; invalid_request: none): the browser's request
		// was bad, not the server.
		c.cfg.Log.InfoContext(r.Context(), "console: code exchange refused", "error", refused.ErrorCode, "status", refused.Response.StatusCode)
		c.problem(w, r, http.StatusBadRequest, "Sign-in did not complete", "The sign-in link was used already, has expired, or is incomplete. Start again.", true)
		return
	case err != nil:
		c.cfg.Log.WarnContext(r.Context(), "console: code exchange failed", "err", err)
		c.problem(w, r, http.StatusBadGateway, "Sign-in did not complete", "The authorization server could not complete the sign-in. Try again in a moment.", true)
		return
	}
	s, err := c.newSession(tok)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if err := c.setCookie(w, sessionCookie, s, sessionTTL); err != nil {
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, l.Next, http.StatusSeeOther)
}

// newSession is the session of tok, fresh from the token endpoint.
func (c *Console) newSession(tok *oauth2.Token) (*session, error) {
	id, _ := tok.Extra("id_token").(string)
	claims, err := idClaims(id)
	if err != nil {
		return nil, err
	}
	s := &session{ID: randomID(), Sub: claims.Sub, Name: claims.Name, Started: c.cfg.Now()}
	c.keep(s, tok)
	return s, nil
}

// keep puts tok's tokens and scopes in s.
func (c *Console) keep(s *session, tok *oauth2.Token) {
	s.Access, s.Expiry = tok.AccessToken, tok.Expiry
	if tok.RefreshToken != "" {
		s.Refresh = tok.RefreshToken
	}
	// RFC 6749 section 5.1: scope is absent when it is what was asked.
	if sc, _ := tok.Extra("scope").(string); sc != "" {
		s.Scopes = strings.Fields(sc)
	} else if s.Scopes == nil {
		s.Scopes = consoleScopes
	}
}

// idClaims reads the subject and name of an ID token. Its signature is
// not checked: the token came straight from the token endpoint, in
// process, which OpenID Connect Core section 3.1.3.7 accepts in place of
// a signature for the code flow.
func idClaims(idToken string) (struct{ Sub, Name string }, error) {
	var out struct {
		Sub  string `json:"sub"`
		Name string `json:"name"`
	}
	parts := strings.Split(idToken, ".")
	if len(parts) != 3 {
		return struct{ Sub, Name string }{}, fmt.Errorf("console: the token answer has no ID token")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err == nil {
		err = json.Unmarshal(raw, &out)
	}
	if err != nil || out.Sub == "" {
		return struct{ Sub, Name string }{}, fmt.Errorf("console: unreadable ID token")
	}
	return struct{ Sub, Name string }{out.Sub, out.Name}, nil
}

// refresh renews s's access token with its refresh token.
func (c *Console) refresh(ctx context.Context, s *session) error {
	if s.Refresh == "" {
		return fmt.Errorf("console: no refresh token")
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.hc)
	tok, err := c.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: s.Refresh}).Token()
	if err != nil {
		return fmt.Errorf("console: refresh: %w", err)
	}
	c.keep(s, tok)
	return nil
}

// handleLogout ends the console session: it revokes the refresh token
// (RFC 7009), clears the cookie and sends the browser to the
// authorization server's end-session endpoint (RP-Initiated Logout), which
// asks whether to end the sign-on session too and returns to the console.
func (c *Console) handleLogout(w http.ResponseWriter, r *http.Request, s *session) {
	if s.Refresh != "" {
		form := url.Values{"token": {s.Refresh}, "token_type_hint": {"refresh_token"}}
		req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, c.cfg.Issuer+"/revoke", strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(url.QueryEscape(c.oauth.ClientID), url.QueryEscape(c.oauth.ClientSecret))
			if resp, err := c.hc.Do(req); err != nil {
				c.cfg.Log.Warn("console: revoking the refresh token failed", "err", err)
			} else {
				resp.Body.Close()
			}
		}
	}
	c.clearCookie(w, sessionCookie)
	// The flash may hold a new client secret: it leaves with the session.
	c.clearCookie(w, flashCookie)
	q := url.Values{"client_id": {ClientID}, "post_logout_redirect_uri": {c.cfg.Issuer + signedOutPath}}
	http.Redirect(w, r, c.cfg.Issuer+"/logout?"+q.Encode(), http.StatusSeeOther)
}

// handleSignedOut is where sign-out ends, whether the person ended the
// single sign-on session or stayed signed in: it offers to sign in again
// and never starts a sign-in itself.
func (c *Console) handleSignedOut(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, nil, http.StatusOK, "signedout.html", &view{Title: "Signed out"})
}
