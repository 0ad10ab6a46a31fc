package authserver

import (
	"log/slog"
	"net/http"
	"slices"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/store"
)

// mayIntrospect decides whether a client may learn about an active access
// token. A token's subject, scopes and audience are not every client's
// business, and RFC 7662 section 4 leaves the decision to the server. The
// client the token was issued to may; so may a client an API of the
// token's audience lists among its IntrospectionClients (its resource
// servers), and a client trusted with every token (store.Client
// IntrospectAny, for gateways). To any other client the token is inactive
// (section 2.2 allows this), and the refusal is recorded: a resource server
// that gets it is misconfigured, or is not the token's recipient.
func (s *Server) mayIntrospect(r *http.Request, c store.Client, claims AccessTokenClaims) bool {
	if c.IntrospectAny || claims.ClientID == c.ID {
		return true
	}
	apis := s.catalog().apis
	if slices.ContainsFunc(claims.Audience, func(aud string) bool {
		api, ok := apis[aud]
		return ok && slices.Contains(api.IntrospectionClients, c.ID)
	}) {
		return true
	}
	s.event(r, slog.LevelWarn, audit.IntrospectRefused, "client_id", c.ID, "token_client_id", claims.ClientID, "jti", claims.ID)
	return false
}
