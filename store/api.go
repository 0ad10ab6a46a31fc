package store

import "time"

// API is a protected resource registered at run time (by the management
// API or the CLI); those of the configuration file live in memory only.
type API struct {
	// Identifier is the API's absolute URI, the audience of its tokens.
	Identifier string `json:"identifier"`
	Name       string `json:"name,omitempty"`
	// Scopes are the scopes the API defines, in order.
	Scopes []Scope `json:"scopes"`
	// AccessTokenTTL is the lifetime of access tokens for the API; zero
	// means the deployment's.
	AccessTokenTTL time.Duration `json:"access_token_ttl,omitempty"`
	// IntrospectionClients may introspect tokens for the API.
	IntrospectionClients []string  `json:"introspection_clients,omitempty"`
	CreatedAt            time.Time `json:"created_at"`
	// UpdatedAt is when the API last changed; zero if never.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Scope is a scope an API defines.
type Scope struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// ScopeNames returns the names of the API's scopes, in order.
func (a API) ScopeNames() []string {
	out := make([]string, len(a.Scopes))
	for i, s := range a.Scopes {
		out[i] = s.Name
	}
	return out
}
