package agent

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"

	"github.com/portcullis/portcullis/dpop"
)

// refreshTokens is POST /refresh: new tokens from the refresh token in its
// cookie (RFC 6749 section 6), 204 with new cookies. When the provider
// refuses the refresh token, a new login is needed: 401, and the request
// that asked the provider deletes the cookies. Requests with the same
// refresh token share one call and its result (see refreshes), so a
// request that lost a race gets the winner's tokens, and never deletes
// cookies.
func (a *Agent) refreshTokens(w http.ResponseWriter, r *http.Request) *apiError {
	s, e := a.readSession(w, r)
	if e != nil {
		return e
	}
	if s == nil || s.refresh == nil {
		a.clearSession(w)
		return noSession()
	}
	res, leader := a.refreshes.do(r.Context(), sha256.Sum256(s.refresh), func() refreshResult {
		return a.callRefresh(context.WithoutCancel(r.Context()), string(s.refresh), s.id, a.reader.dpop.forRefresh(string(s.access)))
	})
	var oe *oauthError
	switch {
	case res.err == nil:
		t, sid := tokens{access: res.tok.AccessToken, refresh: res.tok.RefreshToken, id: res.idToken}, s.sid
		if sid == (loginID{}) {
			// Legacy cookies have no login ID: the session gets one, and
			// every cookie is sealed anew, those the provider did not
			// replace included, so that none is left without it.
			sid = newLoginID()
			t.refresh = cmp.Or(t.refresh, string(s.refresh))
			t.id = cmp.Or(t.id, string(s.id))
		}
		if e := a.setSession(w, sid, t, false); e != nil {
			return e
		}
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return nil
	case errors.As(res.err, &oe) && oe.code == "invalid_grant":
		if leader {
			a.clearSession(w)
		}
		return &apiError{status: http.StatusUnauthorized, code: codeSessionExpired, message: "the session has ended; sign in again", err: res.err}
	default:
		return providerFailure(res.err)
	}
}

// callRefresh refreshes at the provider, with a proof of key unless it is
// nil, and verifies a new ID token as OpenID Connect Core section 12.2
// requires: like the first, except for the nonce, and about the same
// subject as the one it replaces.
func (a *Agent) callRefresh(ctx context.Context, refreshToken string, oldID []byte, key *dpop.Key) refreshResult {
	tok, err := a.provider.refresh(ctx, refreshToken, key)
	if err != nil {
		return refreshResult{err: err}
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID != "" {
		t, err := a.provider.verifyIDToken(ctx, rawID, "")
		if err != nil {
			// The provider has already rotated the refresh token: dropping
			// the new tokens now would end the session at the next
			// refresh. Keep them with the previous ID token, which still
			// says who signed in, and log the failure.
			a.log.WarnContext(ctx, "oauth agent: refreshed ID token does not verify; keeping the previous one", "err", err)
			return refreshResult{tok: tok}
		}
		var old struct {
			Sub string `json:"sub"`
		}
		if oldID != nil && (jwtClaims(string(oldID), &old) != nil || old.Sub != t.Subject) {
			return refreshResult{err: fmt.Errorf("%w: the new ID token is about another subject", errInvalidIDToken)}
		}
	}
	return refreshResult{tok: tok, idToken: rawID}
}
