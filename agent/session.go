package agent

import (
	"encoding/json"
	"errors"
	"net/http"
)

// userInfo is GET /userInfo: the provider's UserInfo claims for the access
// token in the cookie (OpenID Connect Core section 5.3), as it sent them.
func (a *Agent) userInfo(w http.ResponseWriter, r *http.Request) *apiError {
	if a.provider.meta.UserinfoEndpoint == "" {
		return newError(http.StatusBadRequest, codeNotSupported, "the OpenID provider has no userinfo endpoint")
	}
	s, e := a.readSession(w, r)
	if e != nil {
		return e
	}
	if s == nil {
		return noSession()
	}
	key, err := a.reader.dpop.forToken(string(s.access))
	if err != nil {
		return &apiError{status: http.StatusUnauthorized, code: codeTokenRejected, message: "the access token is bound to a DPoP key the agent no longer holds; refresh", err: err}
	}
	claims, err := a.provider.userInfo(r.Context(), string(s.access), key)
	var oe *oauthError
	switch {
	case errors.As(err, &oe) && oe.status == http.StatusUnauthorized:
		return &apiError{status: http.StatusUnauthorized, code: codeTokenRejected, message: "the provider refused the access token; refresh", err: err}
	case errors.As(err, &oe) && oe.status == http.StatusForbidden:
		return &apiError{status: http.StatusBadRequest, code: codeInsufficientScope, message: "the access token's scope does not cover userinfo; check the agent's scope", err: err}
	case err != nil:
		return providerFailure(err)
	}
	// Section 5.3.2: the sub must be the ID token's, or the answer may be
	// about someone else.
	if s.id != nil {
		var got, want struct {
			Sub string `json:"sub"`
		}
		if json.Unmarshal(claims, &got) != nil || jwtClaims(string(s.id), &want) != nil || got.Sub != want.Sub {
			return providerFailure(errors.New("userinfo is about another subject than the ID token"))
		}
	}
	writeJSON(w, http.StatusOK, claims)
	return nil
}

// claims is GET /claims: the claims of the ID token in the cookie, which
// was verified when it arrived.
func (a *Agent) claims(w http.ResponseWriter, r *http.Request) *apiError {
	s, e := a.readSession(w, r)
	if e != nil {
		return e
	}
	if s == nil || s.id == nil {
		return noSession()
	}
	var claims map[string]any
	if err := jwtClaims(string(s.id), &claims); err != nil {
		// Only the agent seals this cookie, with a verified ID token.
		a.clearSession(w)
		return &apiError{status: http.StatusUnauthorized, code: codeInvalidCookie, message: "the ID token cookie does not hold an ID token; sign in again", err: err}
	}
	writeJSON(w, http.StatusOK, claims)
	return nil
}
