package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/console"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// testEnv is the management API mounted on a real authorization server
// (authservertest, with its SQLite store), with clients that hold admin
// scopes, and an HTTP client that validates every exchange against the
// OpenAPI document. Every test of the package uses it, so every exchange
// of the suite is checked.
type testEnv struct {
	as  *authservertest.Server
	cfg *config.Config
	// http sends requests through the conformance check.
	http *http.Client
	conf *conformance
	// secrets of the file's admin clients: "admin" holds every admin
	// scope, "reader" only the read scopes of clients and APIs.
	secrets map[string]string
	// initialTokens are the one-time initial access tokens.
	initialTokens []string
	changed       int

	mu sync.Mutex
	// scoped caches the "admin" client's tokens by scope (scopedToken).
	scoped map[string]string
}

// envOptions change the environment.
type envOptions struct {
	registration bool
	// registerLimit is admin.Config.RegisterLimit. The loopback
	// address is a trusted proxy, so that X-Forwarded-For names the
	// client address.
	registerLimit usage.Limit
	// wrap, when set, wraps the store the management API uses.
	wrap func(store.Store) store.Store
	// console adds the console's built-in client, as serve does when
	// the console is enabled.
	console bool
}

func newEnv(t *testing.T, opts ...envOptions) *testEnv {
	t.Helper()
	var o envOptions
	for _, x := range opts {
		o = x
	}
	e := &testEnv{secrets: map[string]string{}, scoped: map[string]string{}}
	for _, id := range []string{"admin", "reader"} {
		e.secrets[id], _ = authserver.NewSecret()
	}
	tok1, _ := authserver.NewSecret()
	tok2, _ := authserver.NewSecret()
	e.initialTokens = []string{tok1, tok2}
	e.as = authservertest.New(t, func(c *authserver.Config) {
		yaml := fmt.Sprintf(`
issuer: %s
storage: sqlite://unused.db
apis:
  - identifier: %s
    name: Test API
    scopes: [%s]
clients:
  - client_id: admin
    client_secret: %s
    grant_types: [client_credentials]
    scopes: [%s]
  - client_id: reader
    client_secret: %s
    grant_types: [client_credentials]
    scopes: [admin:clients:read, admin:apis:read]
registration:
  enabled: %v
  initial_access_tokens: [%s]
`, c.Issuer, authservertest.API, strings.Join(authservertest.Scopes, ", "), e.secrets["admin"],
			strings.Join(registry.AdminScopes, ", "), e.secrets["reader"], o.registration, strings.Join(e.initialTokens, ", "))
		if !o.registration {
			yaml = strings.Replace(yaml, "  initial_access_tokens: ["+strings.Join(e.initialTokens, ", ")+"]\n", "", 1)
		}
		var err error
		if e.cfg, err = config.Parse([]byte(yaml), t.TempDir(), func(string) (string, bool) { return "", false }); err != nil {
			t.Fatalf("test configuration: %v", err)
		}
		c.APIs = e.cfg.AuthServer().APIs
		c.Clients = append(c.Clients, e.cfg.AuthServer().Clients...)
		c.Registration = o.registration
	})
	g, err := guard.New(context.Background(), guard.Options{Issuer: e.as.URL, Audience: admin.Audience(e.as.URL), RevocationInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	var builtin []store.Client
	if o.console {
		builtin = []store.Client{console.Client(e.as.URL, e.as.Config.Secret)}
	}
	var st store.Store = e.as.Store
	if o.wrap != nil {
		st = o.wrap(st)
	}
	srv, err := admin.New(admin.Config{Issuer: e.as.URL, Store: st, Rules: e.cfg, Guard: g,
		FileClients: e.as.Config.Clients, FileAPIs: e.cfg.APIs, FileUsers: []string{e.as.Username}, BuiltinClients: builtin,
		AccessTokenTTL: e.cfg.AccessTokenTTL, KeyAlgorithms: e.cfg.Algorithms(), KeyRetention: time.Hour,
		Registration: o.registration, InitialAccessTokens: e.cfg.Registration.InitialAccessTokens,
		RegistrationScopes: []string{"read:users", "list:users"},
		Changed: func(ctx context.Context) {
			e.changed++
			// As serve's hook does: this instance sees the change at once.
			if err := e.as.Instance.ReloadAPIs(ctx); err != nil {
				t.Errorf("reload APIs: %v", err)
			}
		},
		RegisterLimit: o.registerLimit, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e.as.Mount(admin.PathPrefix, srv.Handler())
	e.as.Mount(admin.RegisterPath, srv.Handler())
	e.as.Mount(admin.RegisterPath+"/", srv.Handler())
	e.conf = newConformance(t, e.as.URL)
	e.http = &http.Client{Transport: e.conf}
	t.Cleanup(func() {
		if e.conf.checked.Load() == 0 {
			t.Error("no exchange was checked against openapi.json")
		}
	})
	return e
}

// token returns an access token of the file's client id with scope ("" for
// all its scopes).
func (e *testEnv) token(t testing.TB, id, scope string) string {
	t.Helper()
	return e.tokenFor(t, id, e.secrets[id], scope)
}

// tokenFor returns an access token of a client with its secret.
func (e *testEnv) tokenFor(t testing.TB, id, secret, scope string) string {
	t.Helper()
	cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: e.as.URL + "/token"}
	if scope != "" {
		cc.Scopes = strings.Fields(scope)
	}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatalf("token for %s: %v", id, err)
	}
	return tok.AccessToken
}

// call is one request to the API.
type call struct {
	method, path string
	token        string
	// body is sent as JSON unless it is a []byte or string, sent as is.
	body        any
	contentType string
	header      map[string]string
}

// answer is what the server answered.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// decode decodes the body into v.
func (a answer) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
}

// problem decodes a problem answer.
func (a answer) problem(t testing.TB) admin.Problem {
	t.Helper()
	if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json: %s", ct, a.body)
	}
	var p admin.Problem
	a.decode(t, &p)
	return p
}

// do sends c through the conformance check.
func (e *testEnv) do(t testing.TB, c call) answer {
	t.Helper()
	var body io.Reader
	switch b := c.body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(c.method, e.as.URL+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range c.header {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: raw}
}

// storedClient reads a client from the store.
func (e *testEnv) storedClient(t testing.TB, id string) store.Client {
	t.Helper()
	c, err := e.as.Store.GetClient(context.Background(), id)
	if err != nil {
		t.Fatalf("get client %s: %v", id, err)
	}
	return c
}
