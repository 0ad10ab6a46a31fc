package authserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"

	"github.com/portcullis/portcullis/store"
)

// authorizationCode is the authorization code grant (RFC 6749 section
// 4.1.3) with PKCE (RFC 7636 section 4.6). The code is consumed before any
// check, so it is single use whatever happens next; a second redemption
// revokes everything the first one issued (RFC 9700 section 4.5).
func (s *Server) authorizationCode(w http.ResponseWriter, r *http.Request, form url.Values, c store.Client) {
	code, verifier := form.Get("code"), form.Get("code_verifier")
	if code == "" {
		errInvalidRequest("code is required").Render(w)
		return
	}
	if verifier == "" {
		errInvalidRequest("code_verifier is required (PKCE, RFC 7636)").Render(w)
		return
	}
	if !validVerifier(verifier) {
		errInvalidRequest("code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]").Render(w)
		return
	}
	ctx := r.Context()
	now := s.cfg.Now()
	ac, err := s.store.RedeemAuthCode(ctx, digest(code), now)
	switch {
	case errors.Is(err, store.ErrReplay):
		if err := s.store.RevokeGrant(ctx, ac.GrantID, now); err != nil {
			s.internal(r, err).Render(w)
			return
		}
		s.log.Warn("authorization code replayed; its grant is revoked", "event", "code_replay", "client_id", ac.ClientID, "sub", ac.UserID, "remote", r.RemoteAddr)
		errInvalidGrant("the code was already used; the tokens issued for it are revoked").Render(w)
		return
	case errors.Is(err, store.ErrNotFound):
		errInvalidGrant("the code is invalid or expired").Render(w)
		return
	case err != nil:
		s.internal(r, err).Render(w)
		return
	}
	switch {
	case ac.ClientID != c.ID:
		s.log.Warn("code presented by another client", "event", "code_wrong_client", "client_id", c.ID, "code_client_id", ac.ClientID)
		errInvalidGrant("the code was issued to another client").Render(w)
		return
	case form.Has("redirect_uri") && form.Get("redirect_uri") != ac.RedirectURI,
		!form.Has("redirect_uri") && ac.RedirectURIGiven:
		errInvalidGrant("redirect_uri does not match the authorization request").Render(w)
		return
	case !pkceMatches(verifier, ac.CodeChallenge):
		s.log.Warn("wrong PKCE verifier", "event", "pkce_failed", "client_id", c.ID)
		errInvalidGrant("code_verifier does not match the code_challenge").Render(w)
		return
	}
	u, err := s.store.GetUser(ctx, ac.UserID)
	if err != nil {
		errInvalidGrant("the user no longer exists").Render(w)
		return
	}
	tokens, err := s.issueUserTokens(userGrant{
		grantID: ac.GrantID, client: c, user: u, scopes: ac.Scopes, resources: ac.Resources, nonce: ac.Nonce,
		authTime: ac.AuthTime, amr: ac.AMR, familyExp: now.Add(s.cfg.RefreshMaxTTL),
	}, offersRefresh(c, ac.Scopes))
	if err != nil {
		s.internal(r, err).Render(w)
		return
	}
	err = s.store.IssueTokens(ctx, ac.GrantID, tokens.access.jti, tokens.access.exp, tokens.refresh)
	if errors.Is(err, store.ErrRevoked) {
		errInvalidGrant("the code was already used; the tokens issued for it are revoked").Render(w)
		return
	}
	if err != nil {
		s.internal(r, err).Render(w)
		return
	}
	s.log.Info("tokens issued", "event", "token_issued", "grant_type", grantAuthorizationCode, "client_id", c.ID, "sub", u.ID, "jti", tokens.access.jti)
	writeJSON(w, http.StatusOK, tokens.response)
}

// validVerifier checks RFC 7636 section 4.1: 43 to 128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// pkceMatches compares BASE64URL(SHA256(verifier)) with the challenge.
func pkceMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}
