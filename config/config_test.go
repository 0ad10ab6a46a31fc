package config

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/internal/connlimit"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

const secret = "0123456789abcdef0123456789abcdef"

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

// TestIssueFile loads the configuration from the README and issue 2 as
// written.
func TestIssueFile(t *testing.T) {
	t.Setenv("REPORTING_SECRET", secret)
	cfg, err := Load("testdata/issue.yaml")
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("testdata/data/portcullis.db")
	if kind, p, _ := cfg.Store(); kind != SQLite || p != abs {
		t.Fatalf("storage path = %s, want %s (relative to the file)", p, abs)
	}
	as := cfg.AuthServer()
	if as.Issuer != "http://127.0.0.1:8080" || as.AccessTokenTTL != time.Hour || as.AccessTokenAlg != "ES256" {
		t.Fatalf("authserver config = %+v", as)
	}
	c := as.Clients[0]
	if c.ID != "reporting-service" || c.AuthMethod != store.AuthSecretBasic || string(c.SecretHash) != string(authserver.HashSecret(secret)) {
		t.Fatalf("client = %+v", c)
	}
	if got := cfg.Algorithms(); len(got) != 2 || got[0] != "ES256" || got[1] != "RS256" {
		t.Fatalf("algorithms = %v, want ES256 then RS256", got)
	}
}

// TestSigninFile loads issue 3's example: users, a confidential web client
// and a public SPA client.
func TestSigninFile(t *testing.T) {
	t.Setenv("DEMO_PASSWORD", "demo-password")
	t.Setenv("WEB_SECRET", secret)
	cfg, err := Load("testdata/signin.yaml")
	if err != nil {
		t.Fatal(err)
	}
	as := cfg.AuthServer()
	web, spa := as.Clients[0], as.Clients[1]
	if !web.SkipConsent || web.RedirectURIs[0] != "http://127.0.0.1:3000/callback" || web.PostLogoutRedirectURIs[0] != "http://127.0.0.1:3000/" || web.ApplicationType != "web" {
		t.Fatalf("web-app = %+v", web)
	}
	if spa.AuthMethod != store.AuthNone || spa.SecretHash != nil {
		t.Fatalf("spa = %+v", spa)
	}
	u := cfg.ConfiguredUsers()
	if len(u) != 1 || u[0].Password != "demo-password" || u[0].Claims["email_verified"] != true {
		t.Fatalf("users = %+v", u)
	}
	if as.RefreshGrace != authserver.DefaultRefreshGrace || as.RefreshIdleTTL != authserver.DefaultRefreshIdleTTL || as.SessionTTL != authserver.DefaultSessionTTL {
		t.Fatalf("defaults not applied: %+v", as)
	}
	if as.PendingPerAddress != authserver.DefaultPendingPerAddress || as.PendingTotal != authserver.DefaultPendingTotal {
		t.Fatalf("pending request limits: %d, %d; want the defaults", as.PendingPerAddress, as.PendingTotal)
	}
	if cfg.Limits.Connections != connlimit.DefaultConnections || cfg.Limits.ConnectionsPerAddress != connlimit.DefaultConnectionsPerAddress || cfg.ShutdownDelay != DefaultShutdownDelay || cfg.ShutdownGrace != DefaultShutdownGrace {
		t.Fatalf("limits %+v, shutdown_delay %v, shutdown_grace %v; want the defaults", cfg.Limits, cfg.ShutdownDelay, cfg.ShutdownGrace)
	}
	if cfg.AuditRetention != audit.DefaultRetention || cfg.UsageRetention != usage.DefaultRetention || cfg.OpsListen != "" {
		t.Fatalf("audit_retention %v, usage_retention %v, ops_listen %q; want 2160h, 9600h and none", cfg.AuditRetention, cfg.UsageRetention, cfg.OpsListen)
	}
}

// TestLimitsAndOperations reads the keys that bound what unauthenticated
// callers can make the server hold, and the operations listener; the agent
// is told the server's trusted proxies.
func TestLimitsAndOperations(t *testing.T) {
	doc := `
issuer: http://127.0.0.1:8080
storage: sqlite://x.db
ops_listen: 127.0.0.1:9090
audit_retention: 720h
usage_retention: 48h
pending_requests_per_address: 20
pending_requests_total: 500
limits: {connections: 2000, connections_per_address: 50}
shutdown_delay: 1s
trusted_proxies: [10.0.0.0/8]
oauth_agent:
  listen: 127.0.0.1:8081
  issuer: http://127.0.0.1:8080
  client_id: spa-agent
  client_secret: agent-secret
  redirect_uri: http://127.0.0.1:3000/
  trusted_web_origins: [http://127.0.0.1:3000]
  cookie_encryption_key: ` + strings.Repeat("ab", 32) + `
  login_starts_per_minute: 10
`
	cfg, err := Parse([]byte(doc), "/", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	as := cfg.AuthServer()
	if cfg.OpsListen != "127.0.0.1:9090" || cfg.AuditRetention != 720*time.Hour || cfg.UsageRetention != 48*time.Hour || as.PendingPerAddress != 20 || as.PendingTotal != 500 {
		t.Fatalf("config = %+v, authserver = %+v", cfg, as)
	}
	if cfg.Limits != (connlimit.Limits{Connections: 2000, ConnectionsPerAddress: 50}) || cfg.ShutdownDelay != time.Second || cfg.ShutdownGrace != DefaultShutdownGrace {
		t.Fatalf("limits %+v, shutdown_delay %v, shutdown_grace %v", cfg.Limits, cfg.ShutdownDelay, cfg.ShutdownGrace)
	}
	if ag := cfg.OAuthAgent; len(ag.TrustedProxies) != 1 || ag.TrustedProxies[0].String() != "10.0.0.0/8" || ag.LoginStartsPerMinute != 10 {
		t.Fatalf("agent trusted proxies %v, login starts %d", ag.TrustedProxies, ag.LoginStartsPerMinute)
	}
	if _, err := Parse([]byte(strings.Replace(doc, "  login_starts_per_minute: 10\n", "  trusted_proxies: [10.0.0.0/8]\n", 1)), "/", env(nil)); err == nil || !strings.Contains(err.Error(), "oauth_agent.trusted_proxies: unknown key") {
		t.Fatalf("oauth_agent.trusted_proxies: got %v, want an unknown key: the agent takes the top-level list", err)
	}
}

func TestNativeClient(t *testing.T) {
	doc := "issuer: https://id.example.com\nstorage: sqlite://x.db\nclients:\n  - {client_id: app, token_endpoint_auth_method: none, application_type: native, grant_types: [authorization_code], redirect_uris: [\"com.example.app:/oauth\", \"http://127.0.0.1/cb\"], scopes: [openid]}\n"
	if _, err := Parse([]byte(doc), "/", env(nil)); err != nil {
		t.Fatalf("native client with a private-use scheme and a loopback URI refused: %v", err)
	}
}

// TestDevelopmentOptIns: loopback http redirect URIs of web clients and
// loopback jwks_uri are accepted once the file opts in, and reach the
// server's configuration.
func TestDevelopmentOptIns(t *testing.T) {
	doc := "issuer: http://127.0.0.1:8080\nstorage: sqlite://x.db\nallow_insecure_localhost: true\nallow_private_jwks_uri: true\nclients:\n" +
		"  - {client_id: web, client_secret: " + secret + ", grant_types: [authorization_code], redirect_uris: [\"http://localhost:3000/cb\"], post_logout_redirect_uris: [\"http://127.0.0.1:3000/\"]}\n" +
		"  - {client_id: svc, token_endpoint_auth_method: private_key_jwt, grant_types: [client_credentials], jwks_uri: \"http://127.0.0.1:9000/jwks\"}\n"
	cfg, err := Parse([]byte(doc), "/", env(nil))
	if err != nil {
		t.Fatalf("opted-in loopback URIs refused: %v", err)
	}
	if !cfg.AuthServer().AllowPrivateJWKSURI {
		t.Fatal("allow_private_jwks_uri not passed to the server")
	}
}

func TestEnvExpansionKeepsStructure(t *testing.T) {
	doc := `
issuer: ${ISSUER}
storage: sqlite:///tmp/x.db
apis: [{identifier: "https://api.example.com", scopes: [a]}]
clients:
  - client_id: c
    client_secret: ${S}
    grant_types: [client_credentials]
`
	// A value with YAML syntax in it stays one string.
	tricky := secret + "\n: {x: 1} # not a comment"
	cfg, err := Parse([]byte(doc), "/", env(map[string]string{"ISSUER": "https://id.example.com", "S": tricky}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Clients[0].ClientSecret != tricky || cfg.Issuer != "https://id.example.com" {
		t.Fatalf("expanded %+v", cfg)
	}
}

// TestInvalid checks that each bad file is refused with a message naming
// the key at fault.
func TestInvalid(t *testing.T) {
	base := func(extra string) string {
		return "issuer: http://127.0.0.1:8080\nstorage: sqlite://x.db\napis: [{identifier: \"https://api.example.com\", scopes: [a, b]}]\n" + extra
	}
	client := func(fields string) string {
		return base("clients:\n  - client_id: c\n    grant_types: [client_credentials]\n" + fields)
	}
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{"empty", "", "empty"},
		{"not YAML", "issuer: [", "not valid YAML"},
		{"unknown top-level key", base("isuer: x\n"), "isuer: unknown key (line 4)"},
		{"unknown nested key", client("    client_secret: " + secret + "\n    scope: [a]\n"), "clients[0].scope: unknown key"},
		{"missing issuer", "storage: sqlite://x.db\n", "issuer: is required"},
		{"http issuer off loopback", "issuer: http://id.example.com\nstorage: sqlite://x.db\n", "issuer: must use https"},
		{"issuer with trailing slash", "issuer: https://id.example.com/\nstorage: sqlite://x.db\n", "issuer: must have no query"},
		{"missing storage", "issuer: https://id.example.com\n", "storage: is required"},
		{"unsupported storage", "issuer: https://id.example.com\nstorage: mysql://x\n", "storage: must be sqlite://PATH or postgres://"},
		{"bad listen", base("listen: 8080\n"), "listen: must be host:port"},
		{"bad duration", base("access_token_ttl: soon\n"), "line 4"},
		{"ttl too long", base("access_token_ttl: 48h\n"), "access_token_ttl: must be between"},
		{"symmetric algorithm", base("keys: {access_token_alg: HS256}\n"), "keys.access_token_alg: must be"},
		{"API without scopes", "issuer: https://id.example.com\nstorage: sqlite://x.db\napis: [{identifier: \"https://a.example\"}]\n", "apis[0].scopes: must list"},
		{"relative API identifier", "issuer: https://id.example.com\nstorage: sqlite://x.db\napis: [{identifier: users, scopes: [a]}]\n", "apis[0].identifier: must be an absolute URI"},
		{"unset variable", client("    client_secret: ${NOPE}\n"), "clients[0].client_secret: environment variable NOPE is not set"},
		{"short secret", client("    client_secret: short\n"), "clients[0].client_secret: must have at least 32 characters"},
		{"missing secret", client(""), "clients[0].client_secret: is required"},
		{"unknown scope", client("    client_secret: " + secret + "\n    scopes: [zzz]\n"), `clients[0].scopes[0]: "zzz" is neither`},
		{"unsupported grant", base("clients:\n  - client_id: c\n    client_secret: " + secret + "\n    grant_types: [password]\n"), "clients[0].grant_types[0]: must be one of"},
		{"private_key_jwt without keys", client("    token_endpoint_auth_method: private_key_jwt\n"), "exactly one of jwks and jwks_uri"},
		{"private_key_jwt with a private key", client("    token_endpoint_auth_method: private_key_jwt\n    jwks: {keys: [{kty: oct, k: c2VjcmV0}]}\n"), "clients[0].jwks: key 0 (kid \"\"): must be a public asymmetric key"},
		{"private_key_jwt with a 1024-bit RSA key", client("    token_endpoint_auth_method: private_key_jwt\n    jwks: " + rsaJWKS(t, 1024) + "\n"), `clients[0].jwks: key 0 (kid "k1024"): is an RSA key of 1024 bits; at least 2048 are required`},
		{"unknown assertion audience", client("    token_endpoint_auth_method: private_key_jwt\n    jwks_uri: https://keys.example.com/jwks\n    assertion_audience: anything\n"), "clients[0].assertion_audience: must be issuer or token_endpoint"},
		{"assertion audience for a secret client", client("    client_secret: " + secret + "\n    assertion_audience: token_endpoint\n"), "clients[0].assertion_audience: is only for private_key_jwt"},
		{"jwks_uri over http", client("    token_endpoint_auth_method: private_key_jwt\n    jwks_uri: http://keys.example.com/jwks\n"), "clients[0].jwks_uri: must use https"},
		{"public client with client credentials", base("clients:\n  - {client_id: c, token_endpoint_auth_method: none, grant_types: [client_credentials]}\n"), "a public client cannot use client_credentials"},
		{"duplicate key", client("    client_secret: " + secret + "\n    grant_types: [authorization_code]\n"), `mapping key "grant_types" already defined`},
		{"refresh without code", base("clients:\n  - {client_id: c, client_secret: " + secret + ", grant_types: [refresh_token]}\n"), "refresh_token needs authorization_code"},
		{"redirect over http", base("clients:\n  - {client_id: c, client_secret: " + secret + ", grant_types: [authorization_code], redirect_uris: [\"http://app.example.com/cb\"]}\n"), "clients[0].redirect_uris[0]: must use https"},
		{"redirect with fragment", base("clients:\n  - {client_id: c, client_secret: " + secret + ", grant_types: [authorization_code], redirect_uris: [\"https://app.example.com/cb#x\"]}\n"), "without a fragment"},
		{"loopback http redirect for a web client", base("clients:\n  - {client_id: c, client_secret: " + secret + ", grant_types: [authorization_code], redirect_uris: [\"http://127.0.0.1:3000/cb\"]}\n"), "clients[0].redirect_uris[0]: must use https: http on a loopback host is for native apps, or for web clients when allow_insecure_localhost is set"},
		{"localhost logout URI for a web client", base("clients:\n  - {client_id: c, client_secret: " + secret + ", grant_types: [authorization_code], redirect_uris: [\"https://a.example/cb\"], post_logout_redirect_uris: [\"http://localhost/\"]}\n"), "clients[0].post_logout_redirect_uris[0]: must use https: http on a loopback host"},
		{"loopback jwks_uri", client("    token_endpoint_auth_method: private_key_jwt\n    jwks_uri: http://127.0.0.1:9000/jwks\n"), "clients[0].jwks_uri: is on a loopback host, which is refused unless allow_private_jwks_uri is set"},
		{"custom scheme for a web client", base("clients:\n  - {client_id: c, client_secret: " + secret + ", grant_types: [authorization_code], redirect_uris: [\"com.example.app:/cb\"]}\n"), "must use https"},
		{"missing redirect URIs", base("clients:\n  - {client_id: c, client_secret: " + secret + ", grant_types: [authorization_code]}\n"), "clients[0].redirect_uris: is required"},
		{"offline_access without refresh", base("clients:\n  - {client_id: c, client_secret: " + secret + ", grant_types: [authorization_code], redirect_uris: [\"https://a.example/cb\"], scopes: [openid, offline_access]}\n"), "offline_access needs the refresh_token grant"},
		{"ID token algorithm without a key", base("clients:\n  - {client_id: c, client_secret: " + secret + ", grant_types: [authorization_code], redirect_uris: [\"https://a.example/cb\"], id_token_signed_response_alg: EdDSA}\n"), "clients[0].id_token_signed_response_alg: must be one of"},
		{"short user password", base("users: [{username: u, password: short}]\n"), "users[0].password: must have at least 8"},
		{"unknown role", base("users: [{username: u, password: longenough, roles: [owner]}]\n"), "users[0].roles[0]: must be admin or viewer"},
		{"role listed twice", base("users: [{username: u, password: longenough}, {username: v, password: longenough, roles: [viewer, admin, viewer]}]\n"), "users[1].roles[2]: is listed twice"},
		{"duplicate user", base("users: [{username: U, password: longenough}, {username: u, password: longenough}]\n"), "users[1].username: is defined twice"},
		{"skip_consent for a public client", base("clients:\n  - {client_id: c, token_endpoint_auth_method: none, skip_consent: true, grant_types: [authorization_code], redirect_uris: [\"https://a.example/cb\"]}\n"), "clients[0].skip_consent: is not allowed for public or native clients"},
		{"bad redis URL", base("redis: localhost:6379\n"), "redis: must be redis://"},
		{"bad trusted proxy", base("trusted_proxies: [10.0.0.0/33]\n"), "trusted_proxies[0]: must be an IP address or a CIDR"},
		{"grace too long", base("refresh_token_grace: 5m\n"), "refresh_token_grace: must be between"},
		{"bad ops_listen", base("ops_listen: 9090\n"), "ops_listen: must be host:port"},
		{"ops_listen on the public address", base("listen: 127.0.0.1:8080\nops_listen: 127.0.0.1:8080\n"), "ops_listen: must differ from listen"},
		{"audit retention too short", base("audit_retention: 1h\n"), "audit_retention: must be at least 24h"},
		{"usage retention too short", base("usage_retention: 1h\n"), "usage_retention: must be at least 24h"},
		{"negative pending limit", base("pending_requests_per_address: -1\n"), "pending_requests_per_address: must be positive"},
		{"negative connection limit", base("limits: {connections: -1}\n"), "limits.connections: must not be negative"},
		{"per-address limit above the total", base("limits: {connections: 100, connections_per_address: 200}\n"), "limits.connections_per_address: must be at most limits.connections"},
		{"negative shutdown delay", base("shutdown_delay: -1s\n"), "shutdown_delay: must be between"},
		{"shutdown grace too long", base("shutdown_grace: 1h\n"), "shutdown_grace: must be between"},
		{"pending total under the per-address limit", base("pending_requests_per_address: 50\npending_requests_total: 10\n"), "pending_requests_total: must be at least"},
		{"bad default_audience", base("default_audience: one\n"), "default_audience: must be single or all"},
		{"bad client default_audience", client("    client_secret: " + secret + "\n    default_audience: every\n"), "clients[0].default_audience: must be single or all"},
		{"bad introspect", client("    client_secret: " + secret + "\n    introspect: all\n"), "clients[0].introspect: must be any, or absent"},
		{"introspect any for a public client", base("clients:\n  - {client_id: c, token_endpoint_auth_method: none, introspect: any, grant_types: [authorization_code], redirect_uris: [\"https://a.example/cb\"]}\n"), "clients[0].introspect: a public client cannot introspect"},
		{"unknown introspection client", "issuer: https://id.example.com\nstorage: sqlite://x.db\napis: [{identifier: \"https://a.example\", scopes: [a], introspection_clients: [rs, nobody]}]\nclients: [{client_id: rs, client_secret: " + secret + ", grant_types: [client_credentials]}]\n", `apis[0].introspection_clients[1]: "nobody" is not a client_id of clients`},
		{"public introspection client", "issuer: https://id.example.com\nstorage: sqlite://x.db\napis: [{identifier: \"https://a.example\", scopes: [a], introspection_clients: [spa]}]\nclients: [{client_id: spa, token_endpoint_auth_method: none, grant_types: [authorization_code], redirect_uris: [\"https://a.example/cb\"]}]\n", `apis[0].introspection_clients[0]: "spa" is a public client`},
		{"unknown dpop nonce mode", base("dpop: {nonce: always}\n"), "dpop.nonce: must be required or off"},
		{"dpop window too long", base("dpop: {window: 1h}\n"), "dpop.window: must be between 1s and 10m"},
		{"negative dpop window", base("dpop: {window: -1s}\n"), "dpop.window: must be between 1s and 10m"},
		{"unknown dpop key", base("dpop: {nonces: required}\n"), "dpop.nonces: unknown key"},
		{"duplicate client", base("clients:\n  - {client_id: c, client_secret: " + secret + ", grant_types: [client_credentials]}\n  - {client_id: c, client_secret: " + secret + ", grant_types: [client_credentials]}\n"), "clients[1].client_id: is defined twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), "/", env(nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestAllProblemsAtOnce: a user fixes a file in one go, not one error per
// start.
func TestAllProblemsAtOnce(t *testing.T) {
	_, err := Parse([]byte("issuer: http://id.example.com\nstorage: nope\n"), "/", env(nil))
	if err == nil || !strings.Contains(err.Error(), "issuer:") || !strings.Contains(err.Error(), "storage:") {
		t.Fatalf("got %v, want both the issuer and the storage problem", err)
	}
}

// rsaJWKS is a JWK Set, as YAML, holding one RSA public key of bits.
func rsaJWKS(t *testing.T, bits int) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.Public(), KeyID: fmt.Sprint("k", bits), Algorithm: "RS256"}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPrivateKeyJWTClient: a 2048-bit RSA key and assertion_audience reach
// the store's client.
func TestPrivateKeyJWTClient(t *testing.T) {
	tests := []struct {
		name     string
		audience string
		want     string
	}{
		{"default", "", ""},
		{"issuer spelled out", "issuer", ""},
		{"token endpoint", "token_endpoint", store.AssertionAudienceTokenEndpoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "issuer: https://id.example.com\nstorage: sqlite://x.db\napis: [{identifier: \"https://a.example\", scopes: [a]}]\n" +
				"clients:\n  - client_id: signer\n    token_endpoint_auth_method: private_key_jwt\n    grant_types: [client_credentials]\n" +
				"    jwks: " + rsaJWKS(t, 2048) + "\n    assertion_audience: \"" + tt.audience + "\"\n"
			cfg, err := Parse([]byte(doc), "/", env(nil))
			if err != nil {
				t.Fatal(err)
			}
			c := cfg.AuthServer().Clients[0]
			if c.AssertionAudience != tt.want || len(c.JWKS) == 0 {
				t.Fatalf("client = %+v, want assertion audience %q and its keys", c, tt.want)
			}
		})
	}
}

// TestAudienceAndIntrospectionSettings: default_audience (file and client),
// introspect and introspection_clients reach the server's configuration.
func TestAudienceAndIntrospectionSettings(t *testing.T) {
	const head = "issuer: https://id.example.com\nstorage: sqlite://x.db\n"
	const clients = "clients:\n  - {client_id: gw, client_secret: " + secret + ", grant_types: [client_credentials], introspect: any, default_audience: all}\n" +
		"  - {client_id: rs, client_secret: " + secret + ", grant_types: [client_credentials]}\n"
	tests := []struct {
		name, doc    string
		wantDefault  string
		wantRSPolicy string
	}{
		{"default single", head + "apis: [{identifier: \"https://a.example\", scopes: [a], introspection_clients: [rs]}]\n" + clients, store.AudienceSingle, ""},
		{"file all", head + "default_audience: all\napis: [{identifier: \"https://a.example\", scopes: [a], introspection_clients: [rs]}]\n" + clients, store.AudienceAll, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.doc), "/", env(nil))
			if err != nil {
				t.Fatal(err)
			}
			as := cfg.AuthServer()
			if as.DefaultAudience != tt.wantDefault || !slices.Equal(as.APIs[0].IntrospectionClients, []string{"rs"}) {
				t.Fatalf("server config: default audience %q, API %+v", as.DefaultAudience, as.APIs[0])
			}
			gw, rs := as.Clients[0], as.Clients[1]
			if !gw.IntrospectAny || gw.DefaultAudience != store.AudienceAll || rs.IntrospectAny || rs.DefaultAudience != tt.wantRSPolicy {
				t.Fatalf("clients: %+v, %+v", gw, rs)
			}
		})
	}
}

// TestDPoP: the dpop section's zero values, its keys, and a client's
// dpop_bound_access_tokens reach the server's configuration.
func TestDPoP(t *testing.T) {
	const head = "issuer: https://id.example.com\nstorage: sqlite://x.db\napis: [{identifier: \"https://a.example\", scopes: [a]}]\n"
	const clients = "clients:\n  - {client_id: bound, client_secret: " + secret + ", grant_types: [client_credentials], dpop_bound_access_tokens: true}\n" +
		"  - {client_id: plain, client_secret: " + secret + ", grant_types: [client_credentials]}\n"
	tests := []struct {
		name, doc string
		want      authserver.DPoP
	}{
		{"zero values", head + clients, authserver.DPoP{Nonce: false, Window: time.Minute}},
		{"nonces off", head + "dpop: {nonce: off, window: 30s}\n" + clients, authserver.DPoP{Nonce: false, Window: 30 * time.Second}},
		{"nonces required", head + "dpop: {nonce: required}\n" + clients, authserver.DPoP{Nonce: true, Window: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.doc), "/", env(nil))
			if err != nil {
				t.Fatal(err)
			}
			as := cfg.AuthServer()
			if as.DPoP != tt.want {
				t.Fatalf("DPoP = %+v, want %+v", as.DPoP, tt.want)
			}
			if !as.Clients[0].DPoPBoundAccessTokens || as.Clients[1].DPoPBoundAccessTokens {
				t.Fatalf("clients: %+v, %+v", as.Clients[0], as.Clients[1])
			}
		})
	}
}

func TestNewClient(t *testing.T) {
	cfg, err := Parse([]byte("issuer: https://id.example.com\nstorage: sqlite://x.db\napis: [{identifier: \"https://a.example\", scopes: [a]}]\nclients: [{client_id: fixed, client_secret: "+secret+", grant_types: [client_credentials]}]\n"), "/", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.NewClient(Client{ClientID: "fixed", ClientSecret: secret, GrantTypes: []string{"client_credentials"}}, nil); err == nil {
		t.Fatal("created a client that the file defines")
	}
	if _, err := cfg.NewClient(Client{ClientID: "x", ClientSecret: secret, GrantTypes: []string{"client_credentials"}, Scopes: []string{"b"}}, nil); err == nil {
		t.Fatal("created a client with an unknown scope")
	}
	if _, err := cfg.NewClient(Client{ClientID: "x", ClientSecret: secret, GrantTypes: []string{"client_credentials"}, DefaultAudience: "both"}, nil); err == nil {
		t.Fatal("created a client with an unknown default audience")
	}
	c, err := cfg.NewClient(Client{ClientID: "x", ClientSecret: secret, GrantTypes: []string{"client_credentials"}, Scopes: []string{"a"},
		DefaultAudience: store.AudienceAll, Introspect: "any"}, nil)
	if err != nil || c.AuthMethod != store.AuthSecretBasic || len(c.SecretHash) != 32 || c.DefaultAudience != store.AudienceAll || !c.IntrospectAny {
		t.Fatalf("NewClient = %+v, %v", c, err)
	}
}

// TestKeyEncryptionKey: the key-encryption keys are 64 hexadecimal
// characters, read through ${VAR}; a bad one is named by its key, never
// repeated.
func TestKeyEncryptionKey(t *testing.T) {
	const kek = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	const other = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
	base := "issuer: https://id.example.com\nstorage: sqlite://x.db\n"
	tests := []struct {
		name      string
		doc       string
		vars      map[string]string
		current   bool
		previous  bool
		wantError string
	}{
		{"absent", "", nil, false, false, ""},
		{"from the environment", "key_encryption_key: ${KEK}\n", map[string]string{"KEK": kek}, true, false, ""},
		{"with the previous one", "key_encryption_key: ${KEK}\nkey_encryption_key_previous: ${OLD}\n", map[string]string{"KEK": kek, "OLD": other}, true, true, ""},
		{"variable not set", "key_encryption_key: ${KEK}\n", nil, false, false, "key_encryption_key: environment variable KEK is not set"},
		{"too short", "key_encryption_key: ${KEK}\n", map[string]string{"KEK": kek[:32]}, false, false, "key_encryption_key: must be 64 hexadecimal characters (32 bytes, AES-256; openssl rand -hex 32), got 32 characters"},
		{"base64", "key_encryption_key: ${KEK}\n", map[string]string{"KEK": "ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8="}, false, false, "key_encryption_key: must be 64 hexadecimal characters"},
		{"previous not hex", "key_encryption_key: ${KEK}\nkey_encryption_key_previous: ${OLD}\n", map[string]string{"KEK": kek, "OLD": "x" + other[1:]}, false, false, "key_encryption_key_previous: must be 64 hexadecimal characters"},
		{"previous without current", "key_encryption_key_previous: ${OLD}\n", map[string]string{"OLD": other}, false, false, "key_encryption_key_previous: needs key_encryption_key"},
		{"previous equals current", "key_encryption_key: ${KEK}\nkey_encryption_key_previous: ${OLD}\n", map[string]string{"KEK": kek, "OLD": strings.ToUpper(kek)}, false, false, "key_encryption_key_previous: must differ from key_encryption_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(base+tt.doc), "/", env(tt.vars))
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("Parse = %v, want %q", err, tt.wantError)
				}
				for _, v := range tt.vars {
					if strings.Contains(err.Error(), v) {
						t.Fatalf("error repeats a key: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ring := cfg.KeyRing()
			if (ring.Current != nil) != tt.current || (ring.Previous != nil) != tt.previous {
				t.Fatalf("KeyRing = %+v, want current %v, previous %v", ring, tt.current, tt.previous)
			}
			if cfg.AuthServer().KeysEncrypted != tt.current {
				t.Fatalf("AuthServer().KeysEncrypted = %v, want %v", cfg.AuthServer().KeysEncrypted, tt.current)
			}
		})
	}
}
