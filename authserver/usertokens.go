package authserver

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/store"
)

// userGrant is what tokens issued for a user carry.
type userGrant struct {
	grantID   string
	client    store.Client
	user      store.User
	scopes    []string // granted to the whole grant
	narrowed  []string // for this access token; nil means scopes
	resources []string // of the grant
	// audience, if set, is the RFC 8707 resource requested at the token
	// endpoint for this access token, within resources.
	audience  []string
	nonce     string
	sid       string // the sign-on session's
	authn     authentication
	familyExp time.Time
	// jkt binds the access token to the DPoP key the request proved;
	// refreshJKT binds the refresh token (RFC 9449 section 5: a public
	// client's). Empty means unbound.
	jkt, refreshJKT string
}

// authentication is how the user of a grant signed in, which the tokens
// issued from it state: acr, amr and auth_time (OpenID Connect Core section
// 2, RFC 9068 section 2.2.1, RFC 7662 section 2.2 by RFC 9470's use of
// them).
type authentication struct {
	acr  string
	amr  []string
	time time.Time
}

// signedIn is the authentication a code or refresh token records. A record
// without an acr (written before sign-in set one) states the class its amr
// reached, so that a password sign-in says sfa rather than nothing.
func signedIn(acr string, amr []string, at time.Time) authentication {
	if acr == "" {
		acr = mfa.Level(amr)
	}
	return authentication{acr: acr, amr: amr, time: at}
}

// unix is the auth_time claim, zero (omitted) for a record without one.
func (a authentication) unix() int64 {
	if a.time.IsZero() {
		return 0
	}
	return a.time.Unix()
}

// userTokens is a token response for a user grant, with what the store must
// record of it.
type userTokens struct {
	response tokenResponse
	access   accessToken
	refresh  *store.RefreshToken
}

// issueUserTokens mints the access token, the ID token for OpenID Connect
// grants and, when offered, a new refresh token, for the APIs of cat. It
// writes nothing.
func (s *Server) issueUserTokens(cat *catalog, g userGrant, withRefresh bool) (userTokens, error) {
	scopes := g.narrowed
	if scopes == nil {
		scopes = g.scopes
	}
	resources := g.resources
	if g.audience != nil {
		resources = g.audience
	}
	audience := cat.audience(scopes, resources)
	ttl := s.accessTTL(cat, g.client, audience)
	at, err := s.mintAccessToken(g.user.ID, g.client.ID, scopes, audience, g.jkt, ttl, &g.authn)
	if err != nil {
		return userTokens{}, err
	}
	out := userTokens{access: at, response: tokenResponse{
		AccessToken: at.raw, TokenType: tokenType(g.jkt), ExpiresIn: int64(ttl.Seconds()), Scope: strings.Join(scopes, " "),
	}}
	if isOIDC(scopes) {
		out.response.IDToken, err = s.mintIDToken(idTokenInput{client: g.client, user: g.user, scopes: scopes,
			nonce: g.nonce, sid: g.sid, authn: g.authn, accessToken: at.raw})
		if err != nil {
			return userTokens{}, err
		}
	}
	if withRefresh {
		now := s.cfg.Now()
		raw := wire.RandomToken()
		out.response.RefreshToken = raw
		out.refresh = &store.RefreshToken{
			Hash: wire.Digest(raw), GrantID: g.grantID, ClientID: g.client.ID, UserID: g.user.ID, Scopes: g.scopes,
			Resources: g.resources, AuthTime: g.authn.time, AMR: g.authn.amr, ACR: g.authn.acr, SessionID: g.sid, JKT: g.refreshJKT,
			ExpiresAt: minTime(now.Add(s.refreshIdleTTL(g.client)), g.familyExp), FamilyExpiresAt: g.familyExp,
		}
	}
	return out, nil
}

// offersRefresh decides whether a grant gets refresh tokens: OpenID Connect
// grants only with offline_access (Core section 11), others whenever the
// client may use the refresh_token grant.
func offersRefresh(c store.Client, scopes []string) bool {
	if !slices.Contains(c.GrantTypes, grantRefreshToken) {
		return false
	}
	return !isOIDC(scopes) || slices.Contains(scopes, ScopeOfflineAccess)
}

// refreshBinding is the DPoP key a new refresh token is bound to: the one
// its predecessor was bound to (bound), else, for a public client, the
// key the request proved (jkt); RFC 9449 section 5 leaves a confidential
// client's refresh tokens unbound, since it authenticates.
func refreshBinding(c store.Client, bound, jkt string) string {
	if bound != "" || c.AuthMethod != store.AuthNone {
		return bound
	}
	return jkt
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// narrowToResources applies RFC 8707 resource parameters of a token
// request: the access token is for those APIs only, with their scopes and
// the OpenID Connect ones. They must be APIs the grant covers, so a client
// can ask for a narrower token than it was authorized for, never a wider
// one. With none, nothing changes, unless the client's audience policy
// refuses a token for every API of the grant's scopes (oneAudience): the
// choice is made here rather than at /authorize, where the same grant may
// serve tokens for each of its APIs in turn.
func (cat *catalog) narrowToResources(c store.Client, requested, grantResources, scopes []string) (audience, narrowed []string, e *Error) {
	if len(requested) == 0 {
		return nil, nil, cat.oneAudience(c, cat.audience(scopes, grantResources), true)
	}
	for _, res := range requested {
		if _, ok := cat.apis[res]; !ok {
			return nil, nil, errInvalidTarget(fmt.Sprintf("unknown resource %q", wire.Clip(res)))
		}
		if len(grantResources) > 0 && !slices.Contains(grantResources, res) {
			return nil, nil, errInvalidTarget(fmt.Sprintf("resource %q was not part of the authorization", wire.Clip(res)))
		}
	}
	for _, sc := range scopes {
		if slices.Contains(OIDCScopes, sc) || cat.definedWithin(sc, requested) {
			narrowed = append(narrowed, sc)
		}
	}
	if e := cat.everyResourceScoped(requested, narrowed); e != nil {
		return nil, nil, e
	}
	return requested, narrowed, nil
}
