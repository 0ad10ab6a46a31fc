package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/registry"
)

// registryFixture is a configuration file with one API and one client,
// and its store's path; storage is absolute, so serveInProcess reads the
// same store as the CLI.
func registryFixture(t *testing.T) (conf, doc string) {
	t.Helper()
	dir := t.TempDir()
	doc = fmt.Sprintf(`issuer: ISSUER
listen: LISTEN
storage: sqlite://%s
apis:
  - identifier: https://api.example.com
    scopes: [read:items, write:items]
clients:
  - client_id: file-client
    client_secret: a-file-client-secret-of-32-characters-at-least
    grant_types: [client_credentials]
`, filepath.Join(dir, "portcullis.db"))
	conf = filepath.Join(dir, "portcullis.yaml")
	if err := os.WriteFile(conf, []byte(strings.NewReplacer("ISSUER", "http://127.0.0.1:8080", "LISTEN", "127.0.0.1:8080").Replace(doc)), 0o600); err != nil {
		t.Fatal(err)
	}
	return conf, doc
}

// cliJSON runs the CLI with --json and decodes its answer into out.
func cliJSON(t *testing.T, out any, args ...string) {
	t.Helper()
	if err := json.Unmarshal([]byte(cli(t, nil, append(args, "--json")...)), out); err != nil {
		t.Fatalf("portcullis %s: %v", strings.Join(args, " "), err)
	}
}

// TestCLIRegistersApps registers a web app, a single-page app and a native
// app from the command line, then serves the store: the web app signs a
// user in with the code flow and PKCE, and the server takes the SPA's and
// the native app's authorization requests (any loopback port for the
// native app) to the login page.
func TestCLIRegistersApps(t *testing.T) {
	conf, doc := registryFixture(t)
	var web, spa, native createdClient
	cliJSON(t, &web, "clients", "create", "--config", conf, "--id", "web", "--name", "Web shop",
		"--redirect-uris", "https://shop.example.com/callback", "--post-logout-redirect-uris", "https://shop.example.com/",
		"--scopes", "openid,email,read:items", "--skip-consent", "--access-token-ttl", "10m")
	cliJSON(t, &spa, "clients", "create", "--config", conf, "--id", "spa", "--auth-method", "none",
		"--redirect-uris", "https://spa.example.com/cb", "--scopes", "openid,read:items", "--require-par=false")
	cliJSON(t, &native, "clients", "create", "--config", conf, "--id", "desktop", "--auth-method", "none",
		"--application-type", "native", "--redirect-uris", "http://127.0.0.1/callback", "--scopes", "openid")
	for _, tc := range []struct {
		name       string
		got        createdClient
		method     string
		secret     bool
		appType    string
		redirect   string
		grantTypes []string
	}{
		{"web", web, "client_secret_basic", true, "web", "https://shop.example.com/callback", []string{"authorization_code", "refresh_token"}},
		{"spa", spa, "none", false, "web", "https://spa.example.com/cb", []string{"authorization_code", "refresh_token"}},
		{"native", native, "none", false, "native", "http://127.0.0.1/callback", []string{"authorization_code", "refresh_token"}},
	} {
		g := tc.got
		if g.TokenEndpointAuthMethod != tc.method || (g.ClientSecret != "") != tc.secret || g.ApplicationType != tc.appType ||
			!slices.Equal(g.RedirectURIs, []string{tc.redirect}) || !slices.Equal(g.GrantTypes, tc.grantTypes) || g.Source != registry.SourceStore {
			t.Errorf("%s: created %+v", tc.name, g)
		}
	}
	var read registry.ClientInfo
	cliJSON(t, &read, "clients", "get", "--config", conf, "web")
	if read.Name != "Web shop" || !read.SkipConsent || read.AccessTokenTTL.D().Minutes() != 10 || read.ClientSecret != "" ||
		!slices.Equal(read.PostLogoutRedirectURIs, []string{"https://shop.example.com/"}) {
		t.Errorf("clients get web: %+v", read)
	}
	cmd := exec.Command(binary, "users", "add", "--config", conf, "--username", "ada", "--password-stdin")
	cmd.Stdin = strings.NewReader("analytical-engine-1843\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("users add: %v\n%s", err, out)
	}

	issuer := serveInProcess(t, doc, nil)
	ctx := context.Background()
	t.Run("web app signs a user in", func(t *testing.T) {
		oc := oauth2.Config{ClientID: "web", ClientSecret: web.ClientSecret, RedirectURL: "https://shop.example.com/callback",
			Scopes:   []string{"openid", "email", "read:items"},
			Endpoint: oauth2.Endpoint{AuthURL: issuer + "/authorize", TokenURL: issuer + "/token", AuthStyle: oauth2.AuthStyleInHeader}}
		verifier := oauth2.GenerateVerifier()
		back := authservertest.SignIn(t, issuer, oc.AuthCodeURL("s1", oauth2.S256ChallengeOption(verifier)), oc.RedirectURL, "ada", "analytical-engine-1843")
		tok, err := oc.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil || tok.Extra("id_token") == nil {
			t.Fatalf("code exchange: %+v, %v", tok, err)
		}
	})
	for _, tc := range []struct{ name, clientID, redirect string }{
		{"single-page app", "spa", "https://spa.example.com/cb"},
		{"native app on another loopback port", "desktop", "http://127.0.0.1:49152/callback"},
	} {
		t.Run(tc.name+" reaches the login page", func(t *testing.T) {
			q := url.Values{"response_type": {"code"}, "client_id": {tc.clientID}, "redirect_uri": {tc.redirect},
				"scope": {"openid"}, "state": {"s"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())},
				"code_challenge_method": {"S256"}}
			resp, err := http.Get(issuer + "/authorize?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `name="password"`) {
				t.Errorf("authorize: %d, %.300s", resp.StatusCode, body)
			}
		})
	}
}

// jwksFile writes a JWK Set of one new P-256 public key and returns its
// path.
func jwksFile(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := k.PublicKey.Bytes() // 0x04 || x || y
	enc := base64.RawURLEncoding.EncodeToString
	set, _ := json.Marshal(map[string]any{"keys": []any{map[string]any{"kty": "EC", "crv": "P-256", "kid": "k1",
		"x": enc(b[1:33]), "y": enc(b[33:])}}})
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, set, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCLIRefusesBadClients checks that each bad value is refused with a
// message naming its field, as the YAML file and the API name it.
func TestCLIRefusesBadClients(t *testing.T) {
	conf, _ := registryFixture(t)
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	os.WriteFile(jwks, []byte(`["not", "a", "set"]`), 0o600)
	cli(t, nil, "clients", "create", "--config", conf, "--id", "svc", "--scopes", "read:items")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"web app on plain http", []string{"clients", "create", "--id", "w", "--redirect-uris", "http://shop.example.com/cb"}, "redirect_uris[0]"},
		{"code flow without redirect URIs", []string{"clients", "create", "--id", "w", "--grant-types", "authorization_code"}, "redirect_uris"},
		{"SPA skipping consent", []string{"clients", "create", "--id", "s", "--auth-method", "none", "--redirect-uris", "https://a.example.com/cb", "--skip-consent"}, "skip_consent"},
		{"public client credentials", []string{"clients", "create", "--id", "s", "--auth-method", "none"}, "grant_types"},
		{"unknown application type", []string{"clients", "create", "--id", "n", "--application-type", "desktop", "--redirect-uris", "https://a.example.com/cb"}, "application_type"},
		{"unknown auth method", []string{"clients", "create", "--id", "n", "--auth-method", "magic"}, "token_endpoint_auth_method"},
		{"private_key_jwt without keys", []string{"clients", "create", "--id", "k", "--auth-method", "private_key_jwt"}, "jwks_uri"},
		{"JWK Set not an object", []string{"clients", "create", "--id", "k", "--auth-method", "private_key_jwt", "--jwks", jwks}, "--jwks"},
		{"JWK Set file missing", []string{"clients", "create", "--id", "k", "--auth-method", "private_key_jwt", "--jwks", jwks + ".missing"}, "--jwks"},
		{"unknown scope", []string{"clients", "create", "--id", "u", "--scopes", "read:nothing"}, "scopes[0]"},
		{"token lifetime too short", []string{"clients", "create", "--id", "t", "--access-token-ttl", "30s"}, "access_token_ttl"},
		{"ID token algorithm", []string{"clients", "create", "--id", "t", "--id-token-alg", "none"}, "id_token_signed_response_alg"},
		{"rate limit spelling", []string{"clients", "create", "--id", "r", "--rate-limit", "fast"}, "--rate-limit"},
		{"rate limit value", []string{"clients", "create", "--id", "r", "--rate-limit", "10/0s"}, "rate_limit"},
		{"client_id with a slash", []string{"clients", "create", "--id", "a/b"}, "client_id"},
		{"client of the file", []string{"clients", "create", "--id", "file-client"}, "client_id"},
		{"update of the file's client", []string{"clients", "update", "file-client", "--name", "x"}, "configuration file"},
		{"update to a public client credentials client", []string{"clients", "update", "svc", "--auth-method", "none"}, "grant_types"},
		{"update of an unknown client", []string{"clients", "update", "nobody", "--name", "x"}, `no client "nobody"`},
		{"overlap beyond a week", []string{"clients", "rotate-secret", "svc", "--overlap", "200h"}, "--overlap"},
		{"rotation of the file's client", []string{"clients", "rotate-secret", "file-client"}, "configuration file"},
		{"API without scopes", []string{"apis", "create", "--identifier", "https://orders.example.com"}, "scopes"},
		{"API identifier not a URI", []string{"apis", "create", "--identifier", "orders", "--scope", "read:orders"}, "identifier"},
		{"API scope twice", []string{"apis", "create", "--identifier", "https://o.example.com", "--scope", "a=A", "--scope", "a"}, "scopes[1]"},
		{"API of the file", []string{"apis", "update", "https://api.example.com", "--name", "x"}, "configuration file"},
		{"users update without a change", []string{"users", "update", "ada"}, "--claims, --username or --roles"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := cliFails(t, nil, append(tc.args, "--config", conf)...)
			if !strings.Contains(out, tc.want) {
				t.Errorf("output does not name %s:\n%s", tc.want, out)
			}
		})
	}
}

// TestCLIUpdatesClients changes only what the flags give, rotates a
// secret with an overlap, and manages APIs whose scopes clients can then
// hold.
func TestCLIUpdatesClients(t *testing.T) {
	conf, _ := registryFixture(t)
	var api registry.APIInfo
	cliJSON(t, &api, "apis", "create", "--config", conf, "--identifier", "https://orders.example.com/v1", "--name", "Orders",
		"--scope", "read:orders=Read your orders", "--scope", "write:orders")
	if api.Source != registry.SourceStore || len(api.Scopes) != 2 || api.Scopes[0].Description != "Read your orders" {
		t.Fatalf("apis create: %+v", api)
	}
	var created createdClient
	cliJSON(t, &created, "clients", "create", "--config", conf, "--id", "svc", "--scopes", "read:orders", "--rate-limit", "100/1m")
	var updated createdClient
	cliJSON(t, &updated, "clients", "update", "--config", conf, "svc", "--name", "Service", "--dpop-bound-access-tokens", "--introspect-any")
	u := updated.ClientInfo
	if u.Name != "Service" || !u.DPoPBoundAccessTokens || u.Introspect != "any" || !slices.Equal(u.Scopes, []string{"read:orders"}) ||
		u.RateLimit == nil || u.RateLimit.Rate != 100 || updated.ClientSecret != "" {
		t.Errorf("update changed more or less than its flags: %+v", updated)
	}
	var keyed createdClient
	cliJSON(t, &keyed, "clients", "create", "--config", conf, "--id", "keyed", "--auth-method", "private_key_jwt",
		"--jwks", jwksFile(t), "--scopes", "read:orders")
	if keyed.ClientSecret != "" || keyed.JWKS == nil || keyed.TokenEndpointAuthMethod != "private_key_jwt" {
		t.Errorf("private_key_jwt with --jwks: %+v", keyed)
	}
	var moved createdClient
	cliJSON(t, &moved, "clients", "update", "--config", conf, "keyed", "--jwks-uri", "https://keyed.example.com/jwks.json")
	if moved.JWKS != nil || moved.JWKSURI != "https://keyed.example.com/jwks.json" {
		t.Errorf("--jwks-uri does not replace the JWK Set: %+v", moved)
	}
	var rot registry.NewSecret
	cliJSON(t, &rot, "clients", "rotate-secret", "--config", conf, "svc", "--overlap", "1h")
	if rot.ClientSecret == "" || rot.ClientSecret == created.ClientSecret || rot.PreviousSecretExpiresAt.IsZero() {
		t.Errorf("rotate-secret: %+v", rot)
	}
	var read registry.ClientInfo
	cliJSON(t, &read, "clients", "get", "--config", conf, "svc")
	if !read.PreviousSecretExpiresAt.Equal(rot.PreviousSecretExpiresAt) {
		t.Errorf("clients get after rotation: %+v", read)
	}

	cliJSON(t, &api, "apis", "update", "--config", conf, "https://orders.example.com/v1", "--name", "Orders API")
	if api.Name != "Orders API" || len(api.Scopes) != 2 {
		t.Errorf("apis update changed more than the name: %+v", api)
	}
	var apis []registry.APIInfo
	cliJSON(t, &apis, "apis", "list", "--config", conf)
	if len(apis) != 2 || apis[0].Identifier != "https://api.example.com" || apis[0].Source != registry.SourceConfig {
		t.Errorf("apis list: %+v", apis)
	}
	cli(t, nil, "apis", "delete", "--config", conf, "https://orders.example.com/v1")
	if out := cliFails(t, nil, "apis", "get", "--config", conf, "https://orders.example.com/v1"); !strings.Contains(out, "no API") {
		t.Errorf("apis get after delete: %s", out)
	}

	cli(t, nil, "users", "add", "--config", conf, "--username", "ada", "--claims", `{"name":"Ada","email":"ada@example.com"}`)
	var user userView
	cliJSON(t, &user, "users", "update", "--config", conf, "ada", "--claims", `{"name":null,"nickname":"Countess"}`)
	if _, ok := user.Claims["name"]; ok || user.Claims["nickname"] != "Countess" || user.Claims["email"] != "ada@example.com" {
		t.Errorf("users update: %+v", user.Claims)
	}

	var events []struct {
		ID int64 `json:"id"`
	}
	cliJSON(t, &events, "audit", "list", "--config", conf, "--limit", "2")
	var older []struct {
		ID int64 `json:"id"`
	}
	cliJSON(t, &older, "audit", "list", "--config", conf, "--limit", "2", "--before", fmt.Sprint(events[1].ID))
	if len(events) != 2 || len(older) != 2 || older[0].ID >= events[1].ID {
		t.Errorf("audit pages: %+v then %+v", events, older)
	}
	var none []any
	cliJSON(t, &none, "audit", "list", "--config", conf, "--until", "2000-01-01T00:00:00Z")
	if len(none) != 0 {
		t.Errorf("audit list --until 2000: %d events", len(none))
	}
}
