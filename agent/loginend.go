package agent

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// maxPageURL bounds the page URL /login/end parses.
const maxPageURL = 8 << 10

// authResponse is an authorization response found in a page URL
// (RFC 6749 sections 4.1.2 and 4.1.2.1, RFC 9207): either a code or an
// error, with the state and, from providers that send it, the issuer.
type authResponse struct {
	code, state, iss string
	err, description string
	hasIss, hasCode  bool
}

// errPageURL means a page URL that cannot be an authorization response
// the agent should handle, but looks like one.
var errPageURL = errors.New("malformed page URL")

// parseAuthResponse returns the authorization response in pageURL; nil
// when the page is not the redirect URI (scheme, host and path) or its
// query has no state with a code or an error, which is an ordinary page
// load. A response with repeated parameters, or both a code and an error,
// is errPageURL.
func parseAuthResponse(pageURL string, redirect *url.URL) (*authResponse, error) {
	if len(pageURL) > maxPageURL {
		return nil, errPageURL
	}
	u, err := url.Parse(pageURL)
	if err != nil || !u.IsAbs() {
		return nil, errPageURL
	}
	if !strings.EqualFold(u.Scheme, redirect.Scheme) || !strings.EqualFold(u.Host, redirect.Host) || orRoot(u.Path) != orRoot(redirect.Path) {
		return nil, nil
	}
	// A page's query may hold parts that are not form encoding; what can
	// be read is used, and a page without a readable response just
	// reports the session.
	q, _ := url.ParseQuery(u.RawQuery)
	if !q.Has("state") || !q.Has("code") && !q.Has("error") {
		return nil, nil
	}
	for _, k := range []string{"code", "state", "iss", "error", "error_description"} {
		if len(q[k]) > 1 {
			return nil, errPageURL
		}
	}
	if q.Has("code") && q.Has("error") {
		return nil, errPageURL
	}
	return &authResponse{
		code: q.Get("code"), state: q.Get("state"), iss: q.Get("iss"),
		err: q.Get("error"), description: q.Get("error_description"),
		hasIss: q.Has("iss"), hasCode: q.Has("code"),
	}, nil
}

// loginState is the answer of /login/end.
type loginState struct {
	Handled    bool `json:"handled"`
	IsLoggedIn bool `json:"isLoggedIn"`
	// ExpiresIn is the access token's remaining lifetime in seconds, when
	// known: from the token response, or from a JWT access token's exp.
	ExpiresIn *int64 `json:"accessTokenExpiresIn,omitempty"`
}

// loginEnd is POST /login/end with {"pageUrl": ...}. With an authorization
// response for one of this browser's logins in progress, it finishes that
// login; otherwise, or without a page URL, it reports whether the session
// cookies are there.
func (a *Agent) loginEnd(w http.ResponseWriter, r *http.Request) *apiError {
	var req struct {
		PageURL string `json:"pageUrl"`
	}
	if e := readJSON(w, r, &req); e != nil {
		return e
	}
	if req.PageURL == "" {
		return a.sessionState(w, r)
	}
	resp, err := parseAuthResponse(req.PageURL, a.redirect)
	if err != nil {
		return badRequest("pageUrl is not a URL with one authorization response")
	}
	if resp == nil {
		return a.sessionState(w, r)
	}
	pending, err := a.readPending(r)
	if errors.Is(err, ErrDuplicateCookie) {
		return conflictingCookies(err)
	}
	if err != nil {
		a.reader.jar.clear(w, a.login)
		return &apiError{status: http.StatusUnauthorized, code: codeInvalidCookie, message: "the login cookie cannot be decrypted; sign in again", err: err}
	}
	i := slices.IndexFunc(pending, func(p pendingLogin) bool {
		return subtle.ConstantTimeCompare([]byte(p.State), []byte(resp.state)) == 1
	})
	if i < 0 {
		return newError(http.StatusBadRequest, codeInvalidState, "the authorization response is not for a login this browser started, or that login is over")
	}
	login := pending[i]
	rest := slices.Delete(slices.Clone(pending), i, i+1)
	// RFC 9207 section 2.4: a present iss must be the provider's, and a
	// provider that advertises it must send it. A mismatch is a mix-up
	// attack; the login is over either way.
	if resp.hasIss && resp.iss != a.provider.issuer || !resp.hasIss && a.provider.meta.IssParameter {
		a.writePending(w, rest)
		return newError(http.StatusBadRequest, codeInvalidIssuer, "the authorization response is not from the configured provider")
	}
	if !resp.hasCode {
		a.writePending(w, rest)
		status := http.StatusBadRequest
		if resp.err == codeLoginRequired {
			status = http.StatusUnauthorized
		}
		return newError(status, safeCode(resp.err), safeText(resp.description, "the provider refused the login"))
	}
	ctx := r.Context()
	tok, err := a.provider.exchange(ctx, resp.code, login.Verifier, a.reader.dpop.current())
	var oe *oauthError
	switch {
	case errors.As(err, &oe):
		// The code is refused for good (used, expired): so is the login.
		a.writePending(w, rest)
		return providerFailure(err)
	case err != nil:
		// The provider is down or failed: the login stays, so that the
		// app may retry /login/end with the same page URL.
		return providerFailure(err)
	}
	a.writePending(w, rest)
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return providerFailure(errors.New("the token response has no id_token"))
	}
	if _, err := a.provider.verifyIDToken(ctx, rawID, login.Nonce); err != nil {
		return providerFailure(err)
	}
	if e := a.setSession(w, newLoginID(), tokens{access: tok.AccessToken, refresh: tok.RefreshToken, id: rawID}, true); e != nil {
		return e
	}
	out := loginState{Handled: true, IsLoggedIn: true}
	if tok.ExpiresIn > 0 {
		out.ExpiresIn = &tok.ExpiresIn
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// sessionState answers /login/end for an ordinary page load: signed in
// when the session cookies decrypt, whether or not the access token has
// expired (the app then refreshes).
func (a *Agent) sessionState(w http.ResponseWriter, r *http.Request) *apiError {
	s, e := a.readSession(w, r)
	if e != nil {
		return e
	}
	if s == nil {
		writeJSON(w, http.StatusOK, loginState{})
		return nil
	}
	at := s.access
	out := loginState{IsLoggedIn: true}
	var c struct {
		Exp *int64 `json:"exp"`
	}
	if jwtClaims(string(at), &c) == nil && c.Exp != nil {
		left := max(0, *c.Exp-time.Now().Unix())
		out.ExpiresIn = &left
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
