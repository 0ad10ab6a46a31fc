package authserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// authorizationCode is the authorization code grant (RFC 6749 section
// 4.1.3) with PKCE (RFC 7636 section 4.6). The code is read and checked,
// the tokens minted, and then one transaction marks the code used and
// records them: of concurrent exchanges one wins, and a second redemption
// revokes everything the first one issued (RFC 9700 section 4.5), which is
// always recorded by then. Reading first keeps bogus codes from costing a
// signature. A code bound to a DPoP key by dpop_jkt (RFC 9449 section 10)
// is redeemed only with a proof of that key, jkt.
func (s *Server) authorizationCode(w http.ResponseWriter, r *http.Request, form url.Values, c store.Client, jkt string) *Error {
	code, verifier := form.Get("code"), form.Get("code_verifier")
	if code == "" {
		return errInvalidRequest("code is required")
	}
	if verifier == "" {
		return errInvalidRequest("code_verifier is required (PKCE, RFC 7636)")
	}
	if !validVerifier(verifier) {
		return errInvalidRequest("code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]")
	}
	ctx := r.Context()
	now := s.cfg.Now()
	ac, used, err := s.store.GetAuthCode(ctx, wire.Digest(code), now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errInvalidGrant("the code is invalid or expired")
	case err != nil:
		return s.internal(r, err)
	case ac.ClientID != c.ID:
		// Checked before replay: a leaked, used code must not let another
		// client revoke its owner's grant.
		return errInvalidGrant("the code was issued to another client")
	case ac.DPoPJKT != "" && jkt != ac.DPoPJKT:
		// Checked before replay too: whoever lacks the key gains nothing
		// from the code, so its presentation changes nothing.
		return errWrongKey("code")
	case used:
		return s.codeReplayed(r, ac)
	case form.Has("redirect_uri") && form.Get("redirect_uri") != ac.RedirectURI,
		!form.Has("redirect_uri") && ac.RedirectURIGiven:
		return errInvalidGrant("redirect_uri does not match the authorization request")
	case !pkceMatches(verifier, ac.CodeChallenge):
		return errInvalidGrant("code_verifier does not match the code_challenge")
	}
	u, err := users.Active(ctx, s.store, ac.UserID)
	if err != nil {
		return errInvalidGrant("the user no longer exists or is disabled")
	}
	// The code carries what the user's roles allowed at sign-in; they
	// may have lost some since.
	granted := registry.WithinRoles(u.Roles, ac.Scopes)
	cat := s.catalog()
	audience, narrowed, e := cat.narrowToResources(c, form["resource"], ac.Resources, granted)
	if e != nil {
		return e
	}
	tokens, err := s.issueUserTokens(cat, userGrant{
		grantID: ac.GrantID, client: c, user: u, scopes: granted, narrowed: narrowed, resources: ac.Resources,
		audience: audience, nonce: ac.Nonce, sid: ac.SessionID, authn: signedIn(ac.ACR, ac.AMR, ac.AuthTime), familyExp: now.Add(s.refreshMaxTTL(c)),
		jkt: jkt, refreshJKT: refreshBinding(c, "", jkt),
	}, offersRefresh(c, granted))
	if err != nil {
		return s.internal(r, err)
	}
	switch err := s.store.ExchangeAuthCode(ctx, ac.Hash, now, tokens.access.jti, tokens.access.exp, tokens.refresh); {
	case errors.Is(err, store.ErrReplay):
		return s.codeReplayed(r, ac)
	case errors.Is(err, store.ErrNotFound):
		return errInvalidGrant("the code is invalid or expired")
	case errors.Is(err, store.ErrRevoked):
		return errInvalidGrant("the code was already used; the tokens issued for it are revoked")
	case err != nil:
		return s.internal(r, err)
	}
	return s.issued(w, r, grantAuthorizationCode, c.ID, u.ID, tokens.access, jkt, tokens.response)
}

// codeReplayed revokes what a code's first exchange issued.
func (s *Server) codeReplayed(r *http.Request, ac store.AuthCode) *Error {
	if err := s.store.RevokeGrant(r.Context(), ac.GrantID, s.cfg.Now()); err != nil {
		return s.internal(r, err)
	}
	s.event(r, slog.LevelWarn, audit.CodeReplay, "client_id", ac.ClientID, "sub", ac.UserID, "remote", r.RemoteAddr)
	return errInvalidGrant("the code was already used; the tokens issued for it are revoked")
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
