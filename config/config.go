// Package config loads the YAML configuration file: it expands ${VAR}
// references from the environment, refuses unknown keys, validates every
// value once at start and hands each part of Portcullis the struct it needs.
package config

import (
	"time"
)

// Config is the configuration file. Zero values are documented per field.
type Config struct {
	// Issuer is the issuer identifier: an https URL, or http on a loopback
	// host, without query, fragment or trailing slash. Required.
	Issuer string `yaml:"issuer"`
	// Listen is the address the authorization server listens on. Empty
	// means 127.0.0.1:8080.
	Listen string `yaml:"listen"`
	// Storage is the store URL, sqlite://PATH; a relative PATH is relative
	// to the configuration file's folder. Required.
	Storage string `yaml:"storage"`
	// AccessTokenTTL is the access token lifetime. Zero means 1h.
	AccessTokenTTL time.Duration `yaml:"access_token_ttl"`
	// Keys configures the signing keys.
	Keys Keys `yaml:"keys"`
	// APIs are the protected resources.
	APIs []API `yaml:"apis"`
	// Clients are the OAuth clients fixed by this file.
	Clients []Client `yaml:"clients"`

	// dir is the folder of the configuration file, for relative paths.
	dir string
}

// Keys configures signing. Every listed algorithm gets a key; RS256 always
// does, because OpenID Connect requires it.
type Keys struct {
	// AccessTokenAlg signs access tokens: ES256, RS256 or EdDSA. Empty
	// means ES256.
	AccessTokenAlg string `yaml:"access_token_alg"`
	// Algorithms are further algorithms to keep keys for.
	Algorithms []string `yaml:"algorithms"`
}

// API is a protected resource.
type API struct {
	// Identifier is the API's absolute URI, the audience of its tokens.
	Identifier string `yaml:"identifier"`
	// Name is for people.
	Name string `yaml:"name"`
	// Scopes are the scopes the API defines.
	Scopes []string `yaml:"scopes"`
}

// Client is an OAuth client defined in the file. Names follow RFC 7591.
type Client struct {
	ClientID string `yaml:"client_id"`
	Name     string `yaml:"client_name"`
	// ClientSecret must have at least 32 characters.
	ClientSecret string `yaml:"client_secret"`
	// TokenEndpointAuthMethod is client_secret_basic, client_secret_post or
	// private_key_jwt. Empty means client_secret_basic.
	TokenEndpointAuthMethod string   `yaml:"token_endpoint_auth_method"`
	GrantTypes              []string `yaml:"grant_types"`
	// Scopes are the scopes the client may be granted.
	Scopes []string `yaml:"scopes"`
	// JWKS holds the client's public keys for private_key_jwt, as a JWK Set
	// ({keys: [...]}); JWKSURI is where to fetch them instead.
	JWKS    map[string]any `yaml:"jwks"`
	JWKSURI string         `yaml:"jwks_uri"`
}

// KeyRetention is how long a retired signing key stays published: the
// longest lifetime of a token it signed, plus clock skew at relying parties.
func (c *Config) KeyRetention() time.Duration { return c.AccessTokenTTL + 5*time.Minute }
