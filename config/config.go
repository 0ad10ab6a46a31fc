// Package config loads the YAML configuration file: it expands ${VAR}
// references from the environment, refuses unknown keys, validates every
// value once at start and hands each part of Portcullis the struct it needs.
package config

import (
	"time"

	"github.com/portcullis/portcullis/agent"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/gateway"
	"github.com/portcullis/portcullis/internal/connlimit"
	"github.com/portcullis/portcullis/internal/tlsreload"
	"github.com/portcullis/portcullis/keys"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/theme"
	"github.com/portcullis/portcullis/usage"
)

// Config is the configuration file. Zero values are documented per field.
type Config struct {
	// Issuer is the issuer identifier: an https URL, or http on a loopback
	// host, without query, fragment or trailing slash. Required.
	Issuer string `yaml:"issuer"`
	// Listen is the address the authorization server listens on. Empty
	// means 127.0.0.1:8080.
	Listen string `yaml:"listen"`
	// OpsListen is the address of the operations listener, which serves
	// /metrics, /healthz and /readyz and nothing else, apart from the
	// public listener so that metrics are never exposed to the internet
	// by accident. Use a loopback or private address, such as
	// 127.0.0.1:9090. Empty means no operations listener: metrics are
	// not served at all (portcullis dev sets 127.0.0.1:9090).
	OpsListen string `yaml:"ops_listen"`
	// TLS, when set ({cert_file, key_file}, PEM, relative to this file's
	// folder), serves listen over HTTPS (TLS 1.2 or later, HTTP/2) with
	// the pair, read again within seconds when the files change. Both or
	// neither; the pair must load at start, and the issuer must then be
	// https. The gateway and the OAuth
	// agent take their own tls. Zero value: plain HTTP, for running
	// behind a TLS-terminating proxy or on loopback.
	TLS tlsreload.Files `yaml:"tls"`
	// Storage is the store URL: sqlite://PATH, where a relative PATH is
	// relative to the configuration file's folder, or
	// postgres://user@host:port/db?options. Required.
	Storage string `yaml:"storage"`
	// AccessTokenTTL is the access token lifetime. Zero means 1h.
	AccessTokenTTL time.Duration `yaml:"access_token_ttl"`
	// IDTokenTTL is the ID token lifetime. Zero means 1h.
	IDTokenTTL time.Duration `yaml:"id_token_ttl"`
	// RefreshTokenIdleTTL is how long an unused refresh token lives. Zero
	// means 336h (14 days).
	RefreshTokenIdleTTL time.Duration `yaml:"refresh_token_idle_ttl"`
	// RefreshTokenMaxTTL is the absolute lifetime of a refresh token
	// family. Zero means 2160h (90 days).
	RefreshTokenMaxTTL time.Duration `yaml:"refresh_token_max_ttl"`
	// RefreshTokenGrace is how long a rotated refresh token still yields
	// the same successor. Zero means 5s; at most 1m.
	RefreshTokenGrace time.Duration `yaml:"refresh_token_grace"`
	// SessionTTL is how long a sign-in lasts. Zero means 12h.
	SessionTTL time.Duration `yaml:"session_ttl"`
	// AuditRetention is how long audit events are kept; older ones are
	// deleted by the periodic sweep. Zero means 2160h (90 days); at least
	// 24h.
	AuditRetention time.Duration `yaml:"audit_retention"`
	// UsageRetention is how long hourly usage records are kept; older
	// ones are deleted by the periodic sweep. Zero means 9600h (400
	// days); at least 24h.
	UsageRetention time.Duration `yaml:"usage_retention"`
	// PendingRequestsPerAddress bounds the live pending authorization
	// requests (from /authorize and /par) one client address may hold on
	// an instance; IPv6 addresses count by /64. Zero means 100.
	PendingRequestsPerAddress int `yaml:"pending_requests_per_address"`
	// PendingRequestsTotal bounds the live pending authorization requests
	// of an instance, whoever sent them. Zero means 10000.
	PendingRequestsTotal int `yaml:"pending_requests_total"`
	// RateLimits limit how often a client, or a client address, may call
	// the endpoints; see RateLimits for each key and its default.
	RateLimits RateLimits `yaml:"rate_limits"`
	// Limits bounds the connections each listener (listen, ops_listen,
	// the gateway's and the agent's) holds open. Zero values mean 10000
	// per listener and 256 per client address.
	Limits connlimit.Limits `yaml:"limits"`
	// ShutdownDelay is how long, after SIGTERM, /readyz answers 503 while
	// requests are still served, so that load balancers stop sending
	// before the listeners close. Zero means 5s; at most 5m.
	ShutdownDelay time.Duration `yaml:"shutdown_delay"`
	// ShutdownGrace is how long requests in flight get to finish once
	// the listeners are closed; connections still open then are cut.
	// Zero means 20s; at most 10m.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	// Keys configures the signing keys.
	Keys Keys `yaml:"keys"`
	// KeyEncryptionKey encrypts the signing keys' private parts in the
	// store (AES-256-GCM): 64 hexadecimal characters, normally given as
	// ${VAR}. Empty means they are stored in plaintext; serve warns and
	// /readyz says so.
	KeyEncryptionKey string `yaml:"key_encryption_key"`
	// KeyEncryptionKeyPrevious is the key-encryption key being replaced:
	// keys encrypted with it still load until `portcullis keys rewrap`
	// moves them to KeyEncryptionKey. Empty means none.
	KeyEncryptionKeyPrevious string `yaml:"key_encryption_key_previous"`
	// APIs are the protected resources.
	APIs []API `yaml:"apis"`
	// DefaultAudience is whom a token requested without an RFC 8707
	// resource is for when its scopes belong to several APIs: single
	// refuses the request (invalid_target), all issues one token for every
	// such API. A client's own default_audience overrides it. Empty means
	// single.
	DefaultAudience string `yaml:"default_audience"`
	// Clients are the OAuth clients fixed by this file.
	Clients []Client `yaml:"clients"`
	// Users are people who sign in, fixed by this file. More can be added
	// to the store with the CLI.
	Users []User `yaml:"users"`
	// Redis, when set (redis://host:port/db), holds the state several
	// instances share for speed: replay caches, login throttle counters
	// and revocation notices to guards. Empty means none: the store keeps
	// every guarantee alone.
	Redis string `yaml:"redis"`
	// TrustedProxies are the addresses or CIDR ranges of reverse proxies in
	// front of the server, the agent and the gateway, whose
	// X-Forwarded-For tells the client's address (for login throttling,
	// the audit trail and usage events). Empty means no proxy is trusted.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// AllowInsecureLocalhost lets web (non-native) clients use plain http
	// redirect URIs on a loopback host, for development. False refuses
	// them: on a shared machine any local process can listen there. Native
	// clients may always use loopback redirect URIs (RFC 8252 section 7.3).
	AllowInsecureLocalhost bool `yaml:"allow_insecure_localhost"`
	// AllowPrivateJWKSURI lets clients' jwks_uri be fetched from loopback,
	// link-local, private and reserved addresses, for development and
	// tests. False refuses them when connecting, so that a client cannot
	// make the server reach into its own network.
	AllowPrivateJWKSURI bool `yaml:"allow_private_jwks_uri"`
	// DPoP configures DPoP proofs (RFC 9449) at the authorization server.
	// Zero values: no server nonces, a window of 60s.
	DPoP DPoP `yaml:"dpop"`
	// Anomalies configures the anomaly detectors. Its zero value runs
	// every rule with its defaults and no automatic response.
	Anomalies usage.Anomalies `yaml:"anomalies"`
	// Alerts configures where detections are sent. Zero value: nowhere.
	Alerts usage.Alerts `yaml:"alerts"`
	// Registration configures dynamic client registration (RFC 7591,
	// 7592) at /register. Zero value: off.
	Registration Registration `yaml:"registration"`
	// Console configures the admin console at /console/. Zero value: off
	// (portcullis dev turns it on).
	Console Console `yaml:"console"`
	// Branding names and colours the sign-in pages and the console:
	// {name, logo_url or logo_file, primary_color, support_url}. Zero
	// value: Portcullis's own look.
	Branding theme.Branding `yaml:"branding"`
	// Connectors are the upstream identity providers people may sign in
	// with (package connectors). Zero value: none.
	Connectors []Connector `yaml:"connectors"`
	// Password configures sign-in with a password. Zero value: on.
	Password Password `yaml:"password"`
	// MFA is the multi-factor policy and the passkeys' relying party.
	// Zero value: factors allowed (passkey and TOTP), none required.
	MFA MFA `yaml:"mfa"`
	// TemplatesDir is a folder (relative to this file's) of page
	// templates that replace the embedded ones of the same file name:
	// index.html, login.html, consent.html, logout.html, error.html,
	// layout.html (README, "Page templates"). A template that does not
	// parse stops the start. Empty means the embedded pages only.
	TemplatesDir string `yaml:"templates_dir"`
	// Gateway, when present, runs the API gateway beside the server.
	Gateway *gateway.Config `yaml:"gateway"`
	// OAuthAgent, when present, runs the OAuth Agent for single-page apps
	// beside the server.
	OAuthAgent *agent.Config `yaml:"oauth_agent"`
	// LogLevel is the lowest level logged: debug, info, warn or error.
	// Empty means info. The --log-level flag overrides it.
	LogLevel string `yaml:"log_level"`
	// LogFormat is how log lines are written: json (one object a line,
	// for collectors) or text (key=value, for people). Empty means json
	// for serve and text for dev. The --log-format flag overrides it.
	LogFormat string `yaml:"log_format"`

	// dir is the folder of the configuration file, for relative paths.
	dir string
	// keyRing holds KeyEncryptionKey and KeyEncryptionKeyPrevious parsed.
	keyRing keys.KeyRing
	// theme is Branding validated, its logo file read.
	theme *theme.Theme
	// connectors are Connectors validated and built.
	connectors []authserver.Connector
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

// DPoP configures DPoP proofs (RFC 9449) at the authorization server's
// token, PAR and userinfo endpoints. Any client may send proofs; a client
// with dpop_bound_access_tokens must.
type DPoP struct {
	// Nonce is required or off. required makes every proof carry a
	// server nonce, given in the DPoP-Nonce header of every answer
	// (section 8); instances sharing the store accept each other's. Empty
	// means off.
	Nonce string `yaml:"nonce"`
	// Window is how far a proof's iat may lie from the server's time,
	// either way (and how long its jti is remembered). Zero means 60s;
	// between 1s and 10m.
	Window time.Duration `yaml:"window"`
}

// Registration configures dynamic client registration. Registering
// needs an initial access token: an access token of the management API
// carrying admin:clients:write, or one of InitialAccessTokens.
type Registration struct {
	// Enabled serves /register and advertises it in discovery as
	// registration_endpoint. False (the default) answers 404 there.
	Enabled bool `yaml:"enabled"`
	// InitialAccessTokens are one-time initial access tokens, each of at
	// least 32 characters, normally given as ${VAR}: each registers one
	// client, then is spent for every instance. Empty means only access
	// tokens of the management API.
	InitialAccessTokens []string `yaml:"initial_access_tokens"`
	// Scopes are the API scopes a client registered with a one-time
	// initial access token may ask for, besides OpenID Connect's; an
	// administrator widens a registered client through the management
	// API. Empty means OpenID Connect scopes only. Registrations made
	// with a management API token may ask for any scope but admin:*.
	Scopes []string `yaml:"scopes"`
}

// Console configures the admin console, served at /console/ under the
// issuer. It signs users in with the built-in client portcullis-console,
// which exists only while the console is enabled.
type Console struct {
	// Enabled serves the console. False (the default) answers 404 there.
	Enabled bool `yaml:"enabled"`
}

// API is a protected resource defined in the file; the management API
// spells its APIs the same way.
type API = registry.API

// Client is an OAuth client defined in the file; the management API spells
// its clients the same way.
type Client = registry.Client

// User is a person defined in the file; the management API spells its
// users the same way. In the file the password is required (at least
// MinPasswordLength characters) and roles are checked by
// registry.CheckRoles.
type User = registry.User

// KeyRetention is how long a retired signing key stays published: the
// longest lifetime of a token it signed, plus clock skew at relying parties.
func (c *Config) KeyRetention() time.Duration {
	return max(c.AccessTokenTTL, c.IDTokenTTL) + 5*time.Minute
}

// Theme is the branding's theme, shared by the sign-in pages and the
// console.
func (c *Config) Theme() *theme.Theme { return c.theme }

// KeyRing is the key-encryption keys that keep signing keys encrypted in
// the store; its Current is nil without key_encryption_key.
func (c *Config) KeyRing() keys.KeyRing { return c.keyRing }

// MFA configures authentication factors beside the password (package mfa).
type MFA struct {
	// Required makes every sign-in use a second factor (or a passkey);
	// a user with none enrols one before continuing. Zero value: only
	// clients with require_mfa, and requests whose acr_values ask for
	// it, need one.
	Required bool `yaml:"required"`
	// Allowed are the factor kinds users may enrol and use: passkey,
	// totp. Empty means both.
	Allowed []string `yaml:"allowed"`
	// Passkeys is the WebAuthn relying party.
	Passkeys Passkeys `yaml:"passkeys"`
}

// Passkeys configures the WebAuthn relying party.
type Passkeys struct {
	// RPID is the relying party ID: a registrable suffix of the issuer's
	// host. Empty means the issuer's host. Changing it orphans every
	// passkey registered under the old one.
	RPID string `yaml:"rp_id"`
	// Origins are the origins allowed to run ceremonies. Empty means the
	// issuer's origin.
	Origins []string `yaml:"origins"`
}
