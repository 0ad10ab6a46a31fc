// Package oidc is the connector to any OpenID Connect provider, found by
// its issuer URL (OpenID Connect Discovery 1.0). It owns one relying
// party's side of the authorization code flow: discovery, retried until
// the provider answers; the authorization request with state, nonce and
// PKCE (RFC 7636); the checks of the authorization response, including the
// iss parameter of RFC 9207; the code exchange, authenticated with a
// client secret or a private_key_jwt assertion (RFC 7523); the ID token's
// validation (github.com/coreos/go-oidc/v3: issuer, audience, signature,
// expiry) and its nonce; the optional userinfo request; and the mapping of
// the claims into a connectors.Identity. The upstream's tokens stay here.
package oidc
