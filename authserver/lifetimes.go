package authserver

import (
	"cmp"
	"time"

	"github.com/portcullis/portcullis/store"
)

// The lifetimes of a client's tokens. Access and ID token lifetimes can
// only be shortened below the deployment's, by the client and by the
// APIs: the signing keys stay published as long as the deployment's
// lifetimes require (keys.Manager), and revocation cutoffs assume no
// token lives longer. Refresh token lifetimes are the client's own when
// it has them, longer or shorter, since refresh tokens are opaque and
// looked up in the store.

// accessTTL is the lifetime of an access token of client c for audience:
// the deployment's, shortened by the client's cap and by the lifetime of
// each API of the audience, so that a token several APIs accept lives no
// longer than the strictest of them allows.
func (s *Server) accessTTL(cat *catalog, c store.Client, audience []string) time.Duration {
	ttl := shortened(s.cfg.AccessTokenTTL, c.AccessTokenTTL)
	for _, aud := range audience {
		if api, ok := cat.apis[aud]; ok {
			ttl = shortened(ttl, api.AccessTokenTTL)
		}
	}
	return ttl
}

// idTokenTTL is the lifetime of client c's ID tokens.
func (s *Server) idTokenTTL(c store.Client) time.Duration {
	return shortened(s.cfg.IDTokenTTL, c.IDTokenTTL)
}

// refreshIdleTTL is how long an unused refresh token of client c lives.
func (s *Server) refreshIdleTTL(c store.Client) time.Duration {
	return cmp.Or(c.RefreshIdleTTL, s.cfg.RefreshIdleTTL)
}

// refreshMaxTTL is the absolute lifetime of client c's refresh token
// families, and so of its grants.
func (s *Server) refreshMaxTTL(c store.Client) time.Duration {
	return cmp.Or(c.RefreshMaxTTL, s.cfg.RefreshMaxTTL)
}

// shortened is d, or limit if it is shorter; a zero limit limits nothing.
func shortened(d, limit time.Duration) time.Duration {
	if limit > 0 && limit < d {
		return limit
	}
	return d
}
