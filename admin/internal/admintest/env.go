package admintest

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
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/admin/registration"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/console"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// Env is the management API and, when asked for, dynamic registration
// mounted on a real authorization server (authservertest, with its SQLite
// store), as serve mounts them, with clients that hold admin scopes, and
// an HTTP client that validates every exchange against the OpenAPI
// document. The tests of admin and admin/registration use it, so every
// exchange of their suites is checked.
type Env struct {
	AS     *authservertest.Server
	Config *config.Config
	// HTTP sends requests through Conformance.
	HTTP        *http.Client
	Conformance *Conformance
	// Secrets of the file's admin clients: "admin" holds every admin
	// scope, "reader" only the read scopes of clients and APIs.
	Secrets map[string]string
	// InitialTokens are the one-time initial access tokens.
	InitialTokens []string
	// Changes counts the calls of the Changed hook.
	Changes atomic.Int64

	mu sync.Mutex
	// scoped caches the "admin" client's tokens by scope (ScopedToken).
	scoped map[string]string
}

// Options change the environment.
type Options struct {
	// Registration mounts dynamic registration at /register.
	Registration bool
	// RegisterLimit is registration.Config.Limit. The loopback address is
	// a trusted proxy, so that X-Forwarded-For names the client address.
	RegisterLimit usage.Limit
	// Wrap, when set, wraps the store the management API uses.
	Wrap func(store.Store) store.Store
	// Console adds the console's built-in client, as serve does when the
	// console is enabled.
	Console bool
}

// New starts an environment, stopped when the test ends.
func New(t *testing.T, o Options) *Env {
	t.Helper()
	e := &Env{Secrets: map[string]string{}, scoped: map[string]string{}}
	for _, id := range []string{"admin", "reader"} {
		e.Secrets[id], _ = authserver.NewSecret()
	}
	tok1, _ := authserver.NewSecret()
	tok2, _ := authserver.NewSecret()
	e.InitialTokens = []string{tok1, tok2}
	e.AS = authservertest.New(t, func(c *authserver.Config) {
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
`, c.Issuer, authservertest.API, strings.Join(authservertest.Scopes, ", "), e.Secrets["admin"],
			strings.Join(registry.AdminScopes, ", "), e.Secrets["reader"], o.Registration, strings.Join(e.InitialTokens, ", "))
		if !o.Registration {
			yaml = strings.Replace(yaml, "  initial_access_tokens: ["+strings.Join(e.InitialTokens, ", ")+"]\n", "", 1)
		}
		var err error
		if e.Config, err = config.Parse([]byte(yaml), t.TempDir(), func(string) (string, bool) { return "", false }); err != nil {
			t.Fatalf("test configuration: %v", err)
		}
		c.APIs = e.Config.AuthServer().APIs
		c.Clients = append(c.Clients, e.Config.AuthServer().Clients...)
		c.Registration = o.Registration
	})
	g, err := guard.New(context.Background(), guard.Options{Issuer: e.AS.URL, Audience: admin.Audience(e.AS.URL), RevocationInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	var st store.Store = e.AS.Store
	if o.Wrap != nil {
		st = o.Wrap(st)
	}
	changed := func(ctx context.Context) {
		e.Changes.Add(1)
		// As serve's hook does: this instance sees the change at once.
		if err := e.AS.Instance.ReloadAPIs(ctx); err != nil {
			t.Errorf("reload APIs: %v", err)
		}
	}
	discard := slog.New(slog.DiscardHandler)
	var builtin []store.Client
	if o.Console {
		builtin = []store.Client{console.Client(e.AS.URL, e.AS.Config.Secret)}
	}
	srv, err := admin.New(admin.Config{Issuer: e.AS.URL, Store: st, Rules: e.Config, Guard: g,
		FileClients: e.AS.Config.Clients, FileAPIs: e.Config.APIs, FileUsers: []string{e.AS.Username}, BuiltinClients: builtin,
		AccessTokenTTL: e.Config.AccessTokenTTL, KeyAlgorithms: e.Config.Algorithms(), KeyRetention: time.Hour,
		Changed: changed, Log: discard})
	if err != nil {
		t.Fatal(err)
	}
	e.AS.Mount(admin.PathPrefix, srv.Handler())
	if o.Registration {
		reg, err := registration.New(registration.Config{Issuer: e.AS.URL, Store: st, Rules: e.Config, Guard: g,
			InitialAccessTokens: e.Config.Registration.InitialAccessTokens, Scopes: []string{"read:users", "list:users"},
			AccessTokenTTL: e.Config.AccessTokenTTL, Limit: o.RegisterLimit,
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Changed: changed, Log: discard})
		if err != nil {
			t.Fatal(err)
		}
		e.AS.Mount(registration.Path, reg.Handler())
		e.AS.Mount(registration.Path+"/", reg.Handler())
	}
	e.Conformance = NewConformance(t, e.AS.URL)
	e.HTTP = &http.Client{Transport: e.Conformance}
	t.Cleanup(func() {
		if e.Conformance.Checked.Load() == 0 {
			t.Error("no exchange was checked against openapi.json")
		}
	})
	return e
}

// Token returns an access token of the file's client id with scope (""
// for all its scopes).
func (e *Env) Token(t testing.TB, id, scope string) string {
	t.Helper()
	return e.TokenFor(t, id, e.Secrets[id], scope)
}

// TokenFor returns an access token of a client with its secret.
func (e *Env) TokenFor(t testing.TB, id, secret, scope string) string {
	t.Helper()
	cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: e.AS.URL + "/token"}
	if scope != "" {
		cc.Scopes = strings.Fields(scope)
	}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatalf("token for %s: %v", id, err)
	}
	return tok.AccessToken
}

// Call is one request to the server.
type Call struct {
	Method, Path string
	Token        string
	// Body is sent as JSON unless it is a []byte or string, sent as is.
	Body        any
	ContentType string
	Header      map[string]string
}

// Answer is what the server answered.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode decodes the body into v.
func (a Answer) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.Body, v); err != nil {
		t.Fatalf("decode %s: %v", a.Body, err)
	}
}

// Problem decodes a problem answer.
func (a Answer) Problem(t testing.TB) admin.Problem {
	t.Helper()
	if ct := a.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json: %s", ct, a.Body)
	}
	var p admin.Problem
	a.Decode(t, &p)
	return p
}

// Do sends c through the conformance check.
func (e *Env) Do(t testing.TB, c Call) Answer {
	t.Helper()
	var body io.Reader
	switch b := c.Body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(c.Method, e.AS.URL+c.Path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.ContentType != "" {
		req.Header.Set("Content-Type", c.ContentType)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for k, v := range c.Header {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := e.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// StoredClient reads a client from the store.
func (e *Env) StoredClient(t testing.TB, id string) store.Client {
	t.Helper()
	c, err := e.AS.Store.GetClient(context.Background(), id)
	if err != nil {
		t.Fatalf("get client %s: %v", id, err)
	}
	return c
}
