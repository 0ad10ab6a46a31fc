package registry

import (
	"encoding/json"

	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// introspectAny is Client.Introspect for a client that may introspect
// every token.
const introspectAny = "any"

// ClientFromStore is c as the management API and the CLI show it, from
// source: never its secret or a digest of one.
func ClientFromStore(c store.Client, source string) ClientInfo {
	out := ClientInfo{Client: Client{
		ClientID: c.ID, Name: c.Name, LogoURI: c.LogoURI, TokenEndpointAuthMethod: c.AuthMethod, GrantTypes: c.GrantTypes,
		Scopes: c.Scopes, JWKSURI: c.JWKSURI, AssertionAudience: c.AssertionAudience,
		RedirectURIs: c.RedirectURIs, PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
		ApplicationType: c.ApplicationType, SkipConsent: c.SkipConsent, RequireMFA: c.RequireMFA, Connectors: c.Connectors, RequirePAR: c.RequirePAR,
		IDTokenSignedResponseAlg: c.IDTokenAlg, DefaultAudience: c.DefaultAudience,
		DPoPBoundAccessTokens: c.DPoPBoundAccessTokens,
		AccessTokenTTL:        Duration(c.AccessTokenTTL), IDTokenTTL: Duration(c.IDTokenTTL),
		RefreshTokenIdleTTL: Duration(c.RefreshIdleTTL), RefreshTokenMaxTTL: Duration(c.RefreshMaxTTL),
	}, Source: source, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.IntrospectAny {
		out.Introspect = introspectAny
	}
	if len(c.JWKS) > 0 {
		json.Unmarshal(c.JWKS, &out.JWKS) // stored only after validation
	}
	if l := c.RateLimit; l != nil {
		out.RateLimit = &usage.Limit{Rate: l.Rate, Period: l.Period, Burst: l.Burst}
	}
	if len(c.PreviousSecretHash) > 0 {
		out.PreviousSecretExpiresAt = c.PreviousSecretExpiresAt
	}
	return out
}

// APIFromStore is a as the management API shows it, from source.
func APIFromStore(a store.API, source string) APIInfo {
	out := APIInfo{API: API{Identifier: a.Identifier, Name: a.Name, AccessTokenTTL: Duration(a.AccessTokenTTL),
		IntrospectionClients: a.IntrospectionClients}, Source: source, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	for _, s := range a.Scopes {
		out.Scopes = append(out.Scopes, Scope{Name: s.Name, Description: s.Description})
	}
	return out
}
