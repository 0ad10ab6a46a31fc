package authserver

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/internal/authscheme"
	"github.com/portcullis/portcullis/users"
)

// handleUserInfo is the UserInfo endpoint (OpenID Connect Core section
// 5.3): the claims the access token's scopes release, for GET and POST. A
// DPoP-bound token is accepted only under the DPoP scheme with a proof of
// its key (RFC 9449 section 7), a bearer token only under Bearer, so a
// bound token lifted from a log is refused here as at any API.
func (s *Server) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	s.setNonce(w)
	tok, scheme, e := userInfoToken(w, r)
	if e != nil {
		s.challenge(w, scheme, e.Status, e.Code, e.Description, "")
		return
	}
	if tok == "" {
		s.challenge(w, authscheme.None, http.StatusUnauthorized, "", "an access token is required", "")
		return
	}
	t, err := s.activeAccessToken(r, tok)
	if err != nil {
		s.internal(r, err).Render(w)
		return
	}
	if t == nil {
		s.challenge(w, scheme, http.StatusUnauthorized, "invalid_token", "the access token is invalid, expired or revoked", "")
		return
	}
	c := &t.claims
	switch jkt := c.boundTo(); {
	case jkt != "" && scheme != authscheme.DPoP:
		// RFC 9449 section 7.2: never accepted as a bearer token.
		s.challenge(w, scheme, http.StatusUnauthorized, "invalid_token", "the access token is bound to a DPoP key; send it with the DPoP scheme and a proof", "")
		return
	case jkt == "" && scheme == authscheme.DPoP:
		s.challenge(w, scheme, http.StatusUnauthorized, "invalid_token", "the access token is not bound to a DPoP key; send it with the Bearer scheme", "")
		return
	case jkt != "" && !s.proveResource(w, r, s.endpoints.userinfo, tok, jkt):
		return
	}
	scopes := strings.Fields(c.Scope)
	if !slices.Contains(scopes, ScopeOpenID) {
		s.challenge(w, scheme, http.StatusForbidden, "insufficient_scope", "the access token lacks the openid scope", ScopeOpenID)
		return
	}
	u, err := users.Active(r.Context(), s.store, c.Subject)
	if err != nil {
		s.challenge(w, scheme, http.StatusUnauthorized, "invalid_token", "the token's user no longer exists or is disabled", "")
		return
	}
	writeJSON(w, http.StatusOK, userClaims(u, scopes))
}

// userInfoToken reads the access token and the scheme it came under from
// the Authorization header (Bearer or DPoP) or, for a form POST, the
// access_token parameter (RFC 6750 section 2, a bearer token), refusing
// requests that use both or repeat it. The scheme is None when none is
// established.
func userInfoToken(w http.ResponseWriter, r *http.Request) (token string, scheme authscheme.Scheme, e *Error) {
	scheme, token, err := authscheme.Parse(r.Header)
	switch {
	case errors.Is(err, authscheme.ErrMalformed), errors.Is(err, authscheme.ErrOtherScheme):
		return "", authscheme.None, errInvalidRequest("send one Authorization header, \"Bearer <token>\" or \"DPoP <token>\"")
	case err != nil:
		scheme = authscheme.None
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, fe := readForm(w, r)
		if fe != nil {
			return "", scheme, fe
		}
		if form.Has("access_token") {
			if token != "" {
				return "", scheme, errInvalidRequest("send the access token in one place only")
			}
			token, scheme = form.Get("access_token"), authscheme.Bearer
		}
	}
	return token, scheme, nil
}
