package registry

import (
	"encoding/json"
	"errors"
	"time"

	"go.yaml.in/yaml/v3"
)

// API is a protected resource (a resource server): an entry of the file's
// apis, and the body and answer of the management API's apis.
type API struct {
	// Identifier is the API's absolute URI, the audience of its tokens
	// (RFC 8707).
	Identifier string `yaml:"identifier" json:"identifier"`
	// Name is for people: the consent page shows it.
	Name string `yaml:"name" json:"name,omitempty"`
	// Scopes are the scopes the API defines.
	Scopes []Scope `yaml:"scopes" json:"scopes"`
	// AccessTokenTTL is the lifetime of access tokens for this API, at
	// most the deployment's access_token_ttl; a token for several APIs
	// lives as long as the shortest allows. Zero means access_token_ttl.
	AccessTokenTTL Duration `yaml:"access_token_ttl" json:"access_token_ttl,omitempty"`
	// IntrospectionClients are the IDs of clients (the API's resource
	// servers) that may introspect tokens whose audience includes the
	// API. Empty means none beyond each token's own client and clients
	// with introspect: any.
	IntrospectionClients []string `yaml:"introspection_clients" json:"introspection_clients,omitempty"`
}

// ScopeNames returns the names of the API's scopes, in order.
func (a API) ScopeNames() []string {
	out := make([]string, len(a.Scopes))
	for i, s := range a.Scopes {
		out[i] = s.Name
	}
	return out
}

// APIInfo is an API as the management API shows it.
type APIInfo struct {
	API
	// Source is SourceConfig or SourceStore.
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Scope is a scope an API defines. In YAML, and in JSON requests, a bare
// string is a scope without a description; JSON answers always give the
// object.
type Scope struct {
	Name string `yaml:"name" json:"name"`
	// Description tells people what the scope allows; the consent page
	// shows it.
	Description string `yaml:"description" json:"description,omitempty"`
}

// scopeFields is Scope without its methods, so decoding into it does not
// recurse.
type scopeFields Scope

// UnmarshalYAML reads a scope name, or a mapping with name and
// description.
func (s *Scope) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = Scope{}
		return n.Decode(&s.Name)
	}
	var f scopeFields
	if err := n.Decode(&f); err != nil {
		return err
	}
	*s = Scope(f)
	return nil
}

// MarshalYAML writes a scope without a description as its name alone.
func (s Scope) MarshalYAML() (any, error) {
	if s.Description == "" {
		return s.Name, nil
	}
	return scopeFields(s), nil
}

// UnmarshalJSON reads a scope name, or an object with name and
// description and nothing else.
func (s *Scope) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		*s = Scope{}
		return json.Unmarshal(b, &s.Name)
	}
	if len(b) == 0 || b[0] != '{' {
		return errors.New("a scope is a name or {\"name\": ..., \"description\": ...}")
	}
	var f scopeFields
	if err := strictJSON(b, &f); err != nil {
		return err
	}
	*s = Scope(f)
	return nil
}
