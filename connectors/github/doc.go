// Package github is the connector to GitHub and GitHub Enterprise Server,
// which speak OAuth 2.0 but not OpenID Connect. It owns the authorization
// code flow with state and PKCE (RFC 7636) against GitHub's endpoints, and
// the reading of who signed in from the REST API with the access token:
// the user (its numeric ID is the subject), the verified primary email,
// and the organisations and teams, which become groups and may restrict
// who signs in. The access token is used here and dropped.
package github
