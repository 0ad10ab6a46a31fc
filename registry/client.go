package registry

import (
	"time"

	"github.com/portcullis/portcullis/usage"
)

// Client is an OAuth client's metadata: an entry of the file's clients,
// the body of a management API create or PATCH, and the answer to a read
// (with ClientInfo's fields). Names follow RFC 7591 where it has one.
type Client struct {
	ClientID string `yaml:"client_id" json:"client_id"`
	Name     string `yaml:"client_name" json:"client_name,omitempty"`
	// LogoURI is an https URL of the client's logo, at most 2048
	// characters, shown on the consent page (RFC 7591 section 2). Empty
	// means none.
	LogoURI string `yaml:"logo_uri" json:"logo_uri,omitempty"`
	// ClientSecret must have at least 32 characters. Through the
	// management API it is accepted on create (else one is generated)
	// and returned only then; it is never read back.
	ClientSecret string `yaml:"client_secret" json:"client_secret,omitempty"`
	// TokenEndpointAuthMethod is client_secret_basic, client_secret_post,
	// private_key_jwt or none (a public client). Empty means
	// client_secret_basic.
	TokenEndpointAuthMethod string   `yaml:"token_endpoint_auth_method" json:"token_endpoint_auth_method,omitempty"`
	GrantTypes              []string `yaml:"grant_types" json:"grant_types,omitempty"`
	// Scopes are the scopes the client may be granted.
	Scopes []string `yaml:"scopes" json:"scopes,omitempty"`
	// JWKS holds the client's public keys for private_key_jwt, as a JWK Set
	// ({keys: [...]}); JWKSURI is where to fetch them instead.
	JWKS    map[string]any `yaml:"jwks" json:"jwks,omitempty"`
	JWKSURI string         `yaml:"jwks_uri" json:"jwks_uri,omitempty"`
	// AssertionAudience is what a private_key_jwt assertion's aud may be:
	// issuer (the issuer identifier alone) or token_endpoint (also the
	// token endpoint URL alone, for older client libraries). Empty means
	// issuer.
	AssertionAudience string `yaml:"assertion_audience" json:"assertion_audience,omitempty"`
	// RedirectURIs are where authorization responses may go, matched
	// exactly. Required with the authorization_code grant.
	RedirectURIs []string `yaml:"redirect_uris" json:"redirect_uris,omitempty"`
	// PostLogoutRedirectURIs are where logout may return to.
	PostLogoutRedirectURIs []string `yaml:"post_logout_redirect_uris" json:"post_logout_redirect_uris,omitempty"`
	// ApplicationType is web or native. Empty means web. Native clients'
	// loopback redirect URIs match any port (RFC 8252).
	ApplicationType string `yaml:"application_type" json:"application_type,omitempty"`
	// Connectors, when set, are the only connectors (connectors[].id) the
	// client's sign-in page offers. Empty means every one.
	Connectors []string `yaml:"connectors" json:"connectors,omitempty"`
	// RequireMFA makes every sign-in to this client use a second factor
	// or a passkey (acr mfa at least).
	RequireMFA bool `yaml:"require_mfa" json:"require_mfa,omitempty"`
	// SkipConsent does not ask users to consent to this client.
	SkipConsent bool `yaml:"skip_consent" json:"skip_consent,omitempty"`
	// RequirePAR refuses authorization requests not pushed first.
	RequirePAR bool `yaml:"require_pushed_authorization_requests" json:"require_pushed_authorization_requests,omitempty"`
	// IDTokenSignedResponseAlg signs the client's ID tokens. Empty means
	// RS256.
	IDTokenSignedResponseAlg string `yaml:"id_token_signed_response_alg" json:"id_token_signed_response_alg,omitempty"`
	// DefaultAudience is single or all. Empty means the deployment's
	// default_audience.
	DefaultAudience string `yaml:"default_audience" json:"default_audience,omitempty"`
	// Introspect is any for a client that may introspect every token (a
	// gateway). Empty means only the tokens issued to it and those for
	// APIs that list it in introspection_clients.
	Introspect string `yaml:"introspect" json:"introspect,omitempty"`
	// DPoPBoundAccessTokens makes DPoP proofs mandatory in the client's
	// token requests (RFC 9449 section 5.2), so none of its access tokens
	// is a bearer token. False means proofs are optional.
	DPoPBoundAccessTokens bool `yaml:"dpop_bound_access_tokens" json:"dpop_bound_access_tokens,omitempty"`
	// RateLimit limits the client's token requests, {rate, period,
	// burst}; {rate: 0} exempts it. Absent means rate_limits.token.
	RateLimit *usage.Limit `yaml:"rate_limit" json:"rate_limit,omitempty"`
	// AccessTokenTTL caps the lifetime of the client's access tokens
	// below the deployment's access_token_ttl (and the APIs' own). Zero
	// means no cap of its own.
	AccessTokenTTL Duration `yaml:"access_token_ttl" json:"access_token_ttl,omitempty"`
	// IDTokenTTL caps the lifetime of the client's ID tokens below the
	// deployment's id_token_ttl. Zero means no cap of its own.
	IDTokenTTL Duration `yaml:"id_token_ttl" json:"id_token_ttl,omitempty"`
	// RefreshTokenIdleTTL is how long the client's unused refresh tokens
	// live. Zero means the deployment's refresh_token_idle_ttl.
	RefreshTokenIdleTTL Duration `yaml:"refresh_token_idle_ttl" json:"refresh_token_idle_ttl,omitempty"`
	// RefreshTokenMaxTTL is the absolute lifetime of the client's refresh
	// token families. Zero means the deployment's refresh_token_max_ttl.
	RefreshTokenMaxTTL Duration `yaml:"refresh_token_max_ttl" json:"refresh_token_max_ttl,omitempty"`
}

// Where a client or user is defined.
const (
	// SourceConfig is the configuration file: changed only by editing it.
	SourceConfig = "config"
	// SourceStore is the store: changed by the management API, dynamic
	// registration or the CLI.
	SourceStore = "store"
	// SourceBuiltin is the server itself: the management API among APIs,
	// the console's client among clients; neither the file nor the store
	// defines it, and it cannot change.
	SourceBuiltin = "builtin"
)

// ClientInfo is a client as the management API and the CLI show it: its
// metadata (never a secret, but in the answer that creates one) and what
// the server keeps about it.
type ClientInfo struct {
	Client
	// Source is SourceConfig, SourceStore or SourceBuiltin.
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// PreviousSecretExpiresAt is set while the secret a rotation replaced
	// is still accepted.
	PreviousSecretExpiresAt time.Time `json:"previous_secret_expires_at,omitzero"`
}
