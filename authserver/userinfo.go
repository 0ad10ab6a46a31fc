package authserver

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/users"
)

// bearerError is an RFC 6750 section 3 error: a WWW-Authenticate challenge
// and a JSON body.
func bearerError(w http.ResponseWriter, status int, code, desc, scope string) {
	// RFC 6750 section 3: without authentication there is no error code;
	// descriptions are plain ASCII without quotes, so they need no escaping
	// inside the quoted-string.
	desc = describe(desc)
	ch := `Bearer realm="portcullis"`
	body := map[string]string{"error_description": desc}
	if code != "" {
		ch += fmt.Sprintf(`, error="%s", error_description="%s"`, code, desc)
		body["error"] = code
	}
	if scope != "" {
		ch += fmt.Sprintf(`, scope="%s"`, scope)
	}
	w.Header().Set("WWW-Authenticate", ch)
	writeJSON(w, status, body)
}

// handleUserInfo is the UserInfo endpoint (OpenID Connect Core section
// 5.3): the claims the access token's scopes release, for GET and POST.
func (s *Server) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	tok, e := userInfoToken(w, r)
	if e != nil {
		bearerError(w, e.Status, e.Code, e.Description, "")
		return
	}
	if tok == "" {
		bearerError(w, http.StatusUnauthorized, "", "an access token is required", "")
		return
	}
	c, active, err := s.activeAccessToken(r, tok)
	if err != nil {
		s.internal(r, err).Render(w)
		return
	}
	if !active {
		bearerError(w, http.StatusUnauthorized, "invalid_token", "the access token is invalid, expired or revoked", "")
		return
	}
	scopes := strings.Fields(c.Scope)
	if !slices.Contains(scopes, ScopeOpenID) {
		bearerError(w, http.StatusForbidden, "insufficient_scope", "the access token lacks the openid scope", ScopeOpenID)
		return
	}
	u, err := users.Active(r.Context(), s.store, c.Subject)
	if err != nil {
		bearerError(w, http.StatusUnauthorized, "invalid_token", "the token's user no longer exists or is disabled", "")
		return
	}
	writeJSON(w, http.StatusOK, userClaims(u, scopes))
}

// userInfoToken reads the access token from the Authorization header or, for
// a form POST, the access_token parameter (RFC 6750 section 2), refusing
// requests that use both or repeat it.
func userInfoToken(w http.ResponseWriter, r *http.Request) (token string, e *Error) {
	authz := r.Header.Values("Authorization")
	if len(authz) > 1 {
		return "", errInvalidRequest("more than one Authorization header")
	}
	if len(authz) == 1 {
		scheme, tok, ok := strings.Cut(authz[0], " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" || strings.ContainsAny(tok, " \t") {
			return "", errInvalidRequest("the Authorization header must be \"Bearer <token>\"")
		}
		token = tok
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, fe := readForm(w, r)
		if fe != nil {
			return "", fe
		}
		if form.Has("access_token") {
			if token != "" {
				return "", errInvalidRequest("send the access token in one place only")
			}
			token = form.Get("access_token")
		}
	}
	return token, nil
}
