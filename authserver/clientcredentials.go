package authserver

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/portcullis/portcullis/store"
)

// clientCredentials is the client credentials grant (RFC 6749 section 4.4):
// the client acts for itself, so the token's sub is its client_id. With a
// DPoP proof of the key jkt, the token is bound to it.
func (s *Server) clientCredentials(w http.ResponseWriter, r *http.Request, form url.Values, c store.Client, jkt string) *Error {
	if c.AuthMethod == store.AuthNone {
		return errUnauthorizedClient("a public client cannot use the client_credentials grant")
	}
	// An absent or empty scope parameter asks for every allowed scope.
	var requested []string
	if sc := form.Get("scope"); strings.TrimSpace(sc) != "" {
		var e *Error
		if requested, e = parseScope(sc); e != nil {
			return e
		}
	}
	cat := s.catalog()
	scopes, audience, e := cat.grant(c, requested, form["resource"])
	if e != nil {
		return e
	}
	ttl := s.accessTTL(cat, c, audience)
	at, err := s.mintAccessToken(c.ID, c.ID, scopes, audience, jkt, ttl, nil)
	if err != nil {
		return s.internal(r, err)
	}
	return s.issued(w, r, grantClientCredentials, c.ID, c.ID, at, jkt, tokenResponse{
		AccessToken: at.raw, TokenType: tokenType(jkt), ExpiresIn: int64(ttl.Seconds()), Scope: strings.Join(scopes, " "),
	})
}
