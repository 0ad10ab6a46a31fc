// Package authservertest runs a real Portcullis authorization server inside
// a test process, on a loopback httptest server with its own SQLite store,
// for tests of the parts that talk to it (the guard, the agent) and for
// interoperability tests.
package authservertest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/keys"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/sqlite"
	"github.com/portcullis/portcullis/users"
)

// API is the identifier of the test server's API.
const API = "https://api.example.com"

// Scopes are the scopes the test API defines; the test client may have all.
var Scopes = []string{"list:users", "read:users", "write:users"}

// Server is a running test authorization server.
type Server struct {
	// URL is the issuer, http://127.0.0.1:PORT.
	URL string
	// ClientID and ClientSecret authenticate the confidential test client
	// (client_secret_basic, client_credentials grant, every scope).
	ClientID, ClientSecret string
	// Store and Keys are the server's state, for tests that change it.
	Store store.Store
	Keys  *keys.Manager
	// Username and Password sign in the test user, whose claims are
	// UserClaims.
	Username, Password string
	// WebClientID and WebClientSecret are a confidential client of the
	// authorization code grant (with refresh tokens, no consent page);
	// SPAClientID is a public one (PKCE alone, consent page shown). Both
	// redirect to RedirectURI on the App server and may return to AppURL
	// after logout.
	WebClientID, WebClientSecret, SPAClientID string
	// App is a stand-in for the client application: it answers every
	// request with 200 and records it, so tests and browsers can land on
	// RedirectURI.
	App         *httptest.Server
	RedirectURI string
	// Config is the configuration the server runs with.
	Config authserver.Config
	// Handler is the server's HTTP handler, for benchmarks that call it
	// without a network round trip.
	Handler http.Handler

	http *httptest.Server

	mu        sync.Mutex
	callbacks []*url.URL
}

// UserClaims are the test user's OpenID Connect claims.
var UserClaims = map[string]any{
	"name": "Demo User", "given_name": "Demo", "family_name": "User",
	"email": "demo@example.com", "email_verified": true,
}

// New starts a server and stops it when the test ends. The token lifetime
// defaults apply unless configure changes them. configure, if given,
// may change the configuration before the server starts; the issuer is
// already set.
func New(t testing.TB, configure ...func(*authserver.Config)) *Server {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "portcullis.db"))
	if err != nil {
		t.Fatalf("authservertest: %v", err)
	}
	ts := httptest.NewUnstartedServer(nil)
	s := &Server{URL: "http://" + ts.Listener.Addr().String(), Store: st, http: ts}
	s.App = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		u := *r.URL
		s.callbacks = append(s.callbacks, &u)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><title>App</title><p id=app>The app</p>")
	}))
	s.RedirectURI = s.App.URL + "/callback"
	secret, hash := authserver.NewSecret()
	webSecret, webHash := authserver.NewSecret()
	s.ClientID, s.ClientSecret = "test-client", secret
	s.WebClientID, s.WebClientSecret, s.SPAClientID = "web-app", webSecret, "spa"
	s.Username, s.Password = "demo", "demo-password-"+webSecret[:8]
	codeGrants := []string{"authorization_code", "refresh_token"}
	s.Config = authserver.Config{
		Issuer: s.URL,
		APIs:   []authserver.API{{Identifier: API, Name: "Test API", Scopes: Scopes}},
		Clients: []store.Client{{
			ID: s.ClientID, SecretHash: hash, AuthMethod: store.AuthSecretBasic,
			GrantTypes: []string{"client_credentials"}, Scopes: Scopes,
		}, {
			ID: s.WebClientID, Name: "Web App", SecretHash: webHash, AuthMethod: store.AuthSecretBasic, GrantTypes: codeGrants,
			RedirectURIs: []string{s.RedirectURI}, PostLogoutRedirectURIs: []string{s.App.URL + "/"},
			Scopes:      []string{"openid", "profile", "email", "offline_access", "list:users", "read:users"},
			SkipConsent: true,
		}, {
			ID: s.SPAClientID, Name: "Single-Page App", AuthMethod: store.AuthNone, GrantTypes: codeGrants,
			RedirectURIs: []string{s.RedirectURI}, PostLogoutRedirectURIs: []string{s.App.URL + "/"},
			Scopes: []string{"openid", "profile", "offline_access", "read:users"},
		}},
	}
	for _, f := range configure {
		f(&s.Config)
	}
	ttl := s.Config.AccessTokenTTL
	if ttl == 0 {
		ttl = authserver.DefaultAccessTokenTTL
	}
	alg := s.Config.AccessTokenAlg
	if alg == "" {
		alg = keys.ES256
	}
	algs := []string{alg}
	if alg != keys.RS256 {
		algs = append(algs, keys.RS256)
	}
	now := time.Now
	if s.Config.Now != nil {
		now = s.Config.Now
	}
	if err := keys.Ensure(ctx, st, algs, ttl, now()); err != nil {
		t.Fatalf("authservertest: %v", err)
	}
	if err := users.Sync(ctx, st, []users.Configured{{Username: s.Username, Password: s.Password, Claims: UserClaims}}, now()); err != nil {
		t.Fatalf("authservertest: %v", err)
	}
	if s.Keys, err = keys.NewManager(ctx, st, ttl, s.Config.Now); err != nil {
		t.Fatalf("authservertest: %v", err)
	}
	srv, err := authserver.New(s.Config, st, s.Keys, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	if err != nil {
		t.Fatalf("authservertest: %v", err)
	}
	s.Handler = srv.Handler()
	ts.Config.Handler = s.Handler
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		s.App.Close()
		st.Close()
	})
	return s
}

// Callbacks returns the requests the App received, oldest first.
func (s *Server) Callbacks() []*url.URL {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.callbacks)
}

// Close stops serving, as if the issuer went down. The store stays open.
func (s *Server) Close() { s.http.Close() }

// Token returns an access token for the test client with the given scope
// ("" for every scope), from the token endpoint.
func (s *Server) Token(t testing.TB, scope string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	s.post(t, "/token", form, &out)
	return out.AccessToken
}

// Revoke revokes token at the revocation endpoint.
func (s *Server) Revoke(t testing.TB, token string) {
	t.Helper()
	s.post(t, "/revoke", url.Values{"token": {token}}, nil)
}

// RotateKeys adds a key for the access token algorithm that signs from
// activatesAt on, makes the server load it at once and returns its kid.
func (s *Server) RotateKeys(t testing.TB, activatesAt time.Time) string {
	t.Helper()
	ctx := context.Background()
	alg := s.Config.AccessTokenAlg
	if alg == "" {
		alg = keys.ES256
	}
	k, err := keys.Rotate(ctx, s.Store, alg, activatesAt, time.Hour, time.Now())
	if err != nil {
		t.Fatalf("authservertest: %v", err)
	}
	if err := s.Keys.Reload(ctx); err != nil {
		t.Fatalf("authservertest: %v", err)
	}
	return k.ID
}

func (s *Server) post(t testing.TB, path string, form url.Values, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.ClientID, s.ClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("authservertest: POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("authservertest: POST %s: %d %s", path, resp.StatusCode, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("authservertest: POST %s: %v", path, err)
		}
	}
}
