package store

import (
	"encoding/json"
	"time"
)

// Client authentication methods (RFC 7591 section 2, OpenID Connect Core
// section 9).
const (
	AuthSecretBasic = "client_secret_basic"
	AuthSecretPost  = "client_secret_post"
	AuthPrivateKey  = "private_key_jwt"
	AuthNone        = "none"
)

// AssertionAudienceTokenEndpoint is the Client.AssertionAudience that also
// accepts the token endpoint URL as a private_key_jwt assertion's aud.
const AssertionAudienceTokenEndpoint = "token_endpoint"

// Default audience policies (Client.DefaultAudience): whom an access token
// is for when its request names no RFC 8707 resource and its scopes belong
// to several APIs.
const (
	// AudienceSingle refuses such a request as invalid_target: the client
	// names the API it wants, so no token is good at two APIs and one API
	// cannot replay a token it received at another.
	AudienceSingle = "single"
	// AudienceAll issues one token for every API that defines a granted
	// scope, for a client whose APIs all trust one token (a gateway
	// fronting them, say).
	AudienceAll = "all"
)

// Client is an OAuth client. Field names in JSON follow the RFC 7591 client
// metadata where one exists.
type Client struct {
	ID   string `json:"client_id"`
	Name string `json:"client_name,omitempty"`
	// LogoURI is an https URL of the client's logo, shown on the consent
	// page (RFC 7591 section 2). Empty means none.
	LogoURI string `json:"logo_uri,omitempty"`
	// SecretHash is the SHA-256 digest of the client secret. Secrets are
	// either generated with 256 bits of entropy or configured with at least
	// 32 characters, so a fast hash is enough and keeps the token endpoint
	// free of a deliberately slow password hash.
	SecretHash []byte `json:"secret_sha256,omitempty"`
	// AuthMethod is the token_endpoint_auth_method.
	AuthMethod string   `json:"token_endpoint_auth_method"`
	GrantTypes []string `json:"grant_types"`
	// Scopes are the scopes the client may be granted.
	Scopes []string `json:"scope"`
	// JWKS holds the client's public keys for private_key_jwt; JWKSURI is
	// where to fetch them instead.
	JWKS    json.RawMessage `json:"jwks,omitempty"`
	JWKSURI string          `json:"jwks_uri,omitempty"`
	// AssertionAudience is empty, and a private_key_jwt assertion's aud must
	// then be the issuer identifier alone (draft-ietf-oauth-rfc7523bis), or
	// AssertionAudienceTokenEndpoint, which also accepts the token endpoint
	// URL alone, for client libraries that predate that rule.
	AssertionAudience string `json:"assertion_audience,omitempty"`
	// RedirectURIs are matched exactly (RFC 9700 section 4.1.3), except
	// that a native client's loopback URI matches any port (RFC 8252
	// section 7.3).
	RedirectURIs []string `json:"redirect_uris,omitempty"`
	// PostLogoutRedirectURIs are where RP-initiated logout may return to.
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	// ApplicationType is "web" (the default) or "native" (OpenID Connect
	// Dynamic Client Registration section 2).
	ApplicationType string `json:"application_type,omitempty"`
	// Connectors limits the connectors the client's sign-in offers.
	Connectors []string `json:"connectors,omitempty"`
	// RequireMFA: sign-ins to this client need acr mfa at least.
	RequireMFA bool `json:"require_mfa,omitempty"`
	// SkipConsent trusts the client to act for users without asking them.
	SkipConsent bool `json:"skip_consent,omitempty"`
	// RequirePAR refuses authorization requests not pushed first (RFC 9126
	// section 6).
	RequirePAR bool `json:"require_pushed_authorization_requests,omitempty"`
	// IDTokenAlg signs the client's ID tokens; empty means RS256.
	IDTokenAlg string `json:"id_token_signed_response_alg,omitempty"`
	// DefaultAudience is AudienceSingle or AudienceAll; empty means the
	// deployment's default.
	DefaultAudience string `json:"default_audience,omitempty"`
	// IntrospectAny lets the client introspect every token, as a gateway
	// in front of several APIs must. Otherwise it may introspect only the
	// tokens issued to it and those for an API that lists it among its
	// introspection clients.
	IntrospectAny bool `json:"introspect_any,omitempty"`
	// DPoPBoundAccessTokens makes DPoP proofs mandatory at the token
	// endpoint for the client (RFC 9449 section 5.2): a token request
	// without one is refused, so none of its tokens is a bearer token.
	DPoPBoundAccessTokens bool `json:"dpop_bound_access_tokens,omitempty"`
	// RateLimit is the client's own limit on its token requests; nil
	// means the deployment's rate_limits.token.
	RateLimit *RateLimit `json:"rate_limit,omitempty"`
	// AccessTokenTTL and IDTokenTTL cap the lifetimes of the client's
	// tokens below the deployment's; zero means no cap of its own.
	AccessTokenTTL time.Duration `json:"access_token_ttl,omitempty"`
	IDTokenTTL     time.Duration `json:"id_token_ttl,omitempty"`
	// RefreshIdleTTL and RefreshMaxTTL replace the deployment's refresh
	// token lifetimes for the client; zero means the deployment's.
	RefreshIdleTTL time.Duration `json:"refresh_token_idle_ttl,omitempty"`
	RefreshMaxTTL  time.Duration `json:"refresh_token_max_ttl,omitempty"`
	// PreviousSecretHash is the digest of the secret a rotation replaced,
	// still accepted until PreviousSecretExpiresAt so that the client's
	// instances can move to the new one.
	PreviousSecretHash      []byte    `json:"previous_secret_sha256,omitempty"`
	PreviousSecretExpiresAt time.Time `json:"previous_secret_expires_at,omitzero"`
	// RegistrationTokenHash is the SHA-256 of the registration access
	// token of a client registered dynamically (RFC 7592), which lets its
	// holder read, change and delete the client; empty for others.
	RegistrationTokenHash []byte    `json:"registration_token_sha256,omitempty"`
	CreatedAt             time.Time `json:"created_at"`
	// UpdatedAt is when the client last changed; zero if never.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// RateLimit is a client's own rate limit on its token requests: Rate
// requests per Period, Burst at once (usage.Limit, which the store cannot
// name).
type RateLimit struct {
	Rate   int           `json:"rate"`
	Period time.Duration `json:"period"`
	Burst  int           `json:"burst,omitempty"`
}
