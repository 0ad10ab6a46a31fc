package authserver

import (
	"slices"

	"github.com/portcullis/portcullis/store"
)

// OpenID Connect scopes (OpenID Connect Core sections 3.1.2.1, 5.4, 11).
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeEmail         = "email"
	ScopeOfflineAccess = "offline_access"
)

// OIDCScopes are the scopes the server itself defines, beside APIs' scopes.
var OIDCScopes = []string{ScopeOpenID, ScopeProfile, ScopeEmail, ScopeOfflineAccess}

// scopeClaims are the claims each scope releases: the standard ones of
// OpenID Connect Core section 5.4 and, with profile, groups (a federated
// user's upstream groups, which connectors' groups.claim keeps; not a
// standard claim, named as most providers name it).
var scopeClaims = map[string][]string{
	ScopeProfile: {"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username",
		"profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at", "groups"},
	ScopeEmail: {"email", "email_verified"},
}

// SupportedClaims are the claims discovery lists.
func supportedClaims() []string {
	out := []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "azp", "at_hash", "acr", "amr", "sid"}
	out = append(out, scopeClaims[ScopeProfile]...)
	return append(out, scopeClaims[ScopeEmail]...)
}

// userClaims returns the user's claims that the scopes release, with sub.
// preferred_username falls back to the username.
func userClaims(u store.User, scopes []string) map[string]any {
	out := map[string]any{"sub": u.ID}
	for _, sc := range scopes {
		for _, name := range scopeClaims[sc] {
			if v, ok := u.Claims[name]; ok {
				out[name] = v
			} else if name == "preferred_username" {
				out[name] = u.Username
			}
		}
	}
	return out
}

// isOIDC reports whether an authorization is an OpenID Connect one.
func isOIDC(scopes []string) bool { return slices.Contains(scopes, ScopeOpenID) }
