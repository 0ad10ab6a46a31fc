// Package flow holds what every redirect connector (oidc, github) does the
// same way around the OAuth 2.0 authorization code grant (RFC 6749 section
// 4.1): the random state, nonce and PKCE verifier of a sign-in, the checks
// of the callback's query, the classification of a failed code exchange
// into connectors.ErrUpstream or connectors.ErrRefused, bounded upstream
// strings in errors, and the HTTP client the connectors default to.
package flow
