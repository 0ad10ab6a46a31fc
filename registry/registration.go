package registry

// ClientMetadata is a client's metadata as dynamic client registration
// spells it (RFC 7591 section 2, OpenID Connect Dynamic Client
// Registration 1.0 section 2): what a client may say about itself. What
// only an administrator decides (skipping consent, introspection, rate
// limits, lifetimes, the management API's scopes) is not here; Client has
// it.
type ClientMetadata struct {
	RedirectURIs []string `json:"redirect_uris,omitempty"`
	// TokenEndpointAuthMethod is client_secret_basic (the default),
	// client_secret_post, private_key_jwt or none.
	TokenEndpointAuthMethod string `json:"token_endpoint_auth_method,omitempty"`
	// GrantTypes default to authorization_code.
	GrantTypes []string `json:"grant_types,omitempty"`
	// ResponseTypes may only be code.
	ResponseTypes []string `json:"response_types,omitempty"`
	ClientName    string   `json:"client_name,omitempty"`
	// LogoURI is an https URL of the client's logo, shown on the consent
	// page.
	LogoURI string `json:"logo_uri,omitempty"`
	// Scope is space-separated (RFC 7591 section 2).
	Scope                    string         `json:"scope,omitempty"`
	JWKSURI                  string         `json:"jwks_uri,omitempty"`
	JWKS                     map[string]any `json:"jwks,omitempty"`
	PostLogoutRedirectURIs   []string       `json:"post_logout_redirect_uris,omitempty"`
	ApplicationType          string         `json:"application_type,omitempty"`
	IDTokenSignedResponseAlg string         `json:"id_token_signed_response_alg,omitempty"`
	RequirePAR               bool           `json:"require_pushed_authorization_requests,omitempty"`
	DPoPBoundAccessTokens    bool           `json:"dpop_bound_access_tokens,omitempty"`
}

// Registration is the body of a registration request (RFC 7591 section
// 3.1) or of its update (RFC 7592 section 2.2), which names the client
// and may repeat its current secret.
type Registration struct {
	ClientMetadata
	// ClientID is empty in a registration request; an update must give
	// the client's.
	ClientID string `json:"client_id,omitempty"`
	// ClientSecret, in an update, must be the current secret if given.
	ClientSecret string `json:"client_secret,omitempty"`
}

// RegistrationResponse is a client information response (RFC 7591
// section 3.2.1, RFC 7592 section 3): the client's metadata as registered,
// its credentials, and where and with what token to read, update or
// delete the registration.
type RegistrationResponse struct {
	ClientMetadata
	ClientID string `json:"client_id"`
	// ClientSecret is set only in the answer that made it: a
	// registration, or an update that moved the client to a secret.
	ClientSecret     string `json:"client_secret,omitempty"`
	ClientIDIssuedAt int64  `json:"client_id_issued_at"`
	// ClientSecretExpiresAt is 0, never, for a client with a secret, and
	// absent for one without.
	ClientSecretExpiresAt *int64 `json:"client_secret_expires_at,omitempty"`
	// RegistrationAccessToken authorizes the calls to
	// RegistrationClientURI (RFC 7592).
	RegistrationAccessToken string `json:"registration_access_token"`
	RegistrationClientURI   string `json:"registration_client_uri"`
}
