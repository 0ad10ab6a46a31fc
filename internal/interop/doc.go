// Package interop holds interoperability tests: independent
// implementations by other authors run against Portcullis's own code. Its
// only code is tests; testdata/node pins, with npm's package-lock.json,
// oauth4webapi, a DPoP client (RFC 9449) run against the real
// authorization server, and oidc-provider, an OpenID Connect provider that
// connectors/oidc signs in at as its upstream. .ci/run installs them with
// npm ci.
package interop
