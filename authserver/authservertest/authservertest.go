// Package authservertest runs a real Portcullis authorization server inside
// a test process, on a loopback httptest server with its own SQLite store,
// for tests of the parts that talk to it (the guard, the agent) and for
// interoperability tests.
package authservertest

import (
	"cmp"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/dpop"
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
	// URL reaches this server, http://127.0.0.1:PORT; for a server made by
	// New it is also the issuer.
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
	// Instance is the running server, for tests that call its methods
	// (ReloadAPIs, RunAPIs).
	Instance *authserver.Server

	http      *httptest.Server
	mux       *http.ServeMux
	callbacks *callbackLog
	// logTo receives the server's log at debug level (NewLogged); nil
	// means errors only, to stderr.
	logTo io.Writer
}

// callbackLog records the App's requests; cluster nodes share one.
type callbackLog struct {
	mu   sync.Mutex
	urls []*url.URL
}

func (l *callbackLog) add(u *url.URL) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := *u
	l.urls = append(l.urls, &c)
}

// UserClaims are the test user's OpenID Connect claims.
var UserClaims = map[string]any{
	"name": "Demo User", "given_name": "Demo", "family_name": "User",
	"email": "demo@example.com", "email_verified": true,
}

// New starts a server and stops it when the test ends. The token lifetime
// defaults apply unless configure changes them; the issuer is already set
// when configure runs.
func New(t testing.TB, configure ...func(*authserver.Config)) *Server {
	t.Helper()
	return launch(t, httptest.NewUnstartedServer(nil), configure, nil)
}

// NewLogged starts a server as New does, which logs everything, from
// debug level on and its security events with their detail, as text to
// w: for tests that check what the logs say, or never say.
func NewLogged(t testing.TB, w io.Writer, configure ...func(*authserver.Config)) *Server {
	t.Helper()
	return launch(t, httptest.NewUnstartedServer(nil), configure, w)
}

// launch starts a server with a store of its own on ts, unstarted,
// logging to logTo (nil: errors to stderr).
func launch(t testing.TB, ts *httptest.Server, configure []func(*authserver.Config), logTo io.Writer) *Server {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "portcullis.db"))
	if err != nil {
		t.Fatalf("authservertest: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	s := fixtures(t, "http://"+ts.Listener.Addr().String(), configure)
	s.logTo = logTo
	s.prepare(t, st)
	s.start(t, ts, st)
	return s
}

// Late reserves an address for a server and returns its issuer and a
// function that starts the server there, as New does: until then
// connections to the issuer are refused, as when the authorization server
// is not up yet. Another process taking the address meanwhile fails the
// test.
func Late(t testing.TB, configure ...func(*authserver.Config)) (string, func() *Server) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	addr := ts.Listener.Addr().String()
	ts.Listener.Close()
	return "http://" + addr, func() *Server {
		t.Helper()
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("authservertest: listen on the reserved %s again: %v", addr, err)
		}
		ts.Listener = ln
		return launch(t, ts, configure, nil)
	}
}

// Cluster is several servers behind one issuer, as in a deployment with a
// load balancer: each node has its own store handle on one shared database
// and its own key manager.
type Cluster struct {
	// Issuer is the balancer's URL, which spreads requests round-robin.
	Issuer string
	// Nodes are the servers; each one's URL reaches it directly. They share
	// the clients, secrets, user and App of Nodes[0].
	Nodes []*Server
}

// NewCluster starts n nodes. open returns a new handle on the shared
// database each time it is called; the cluster closes the handles.
func NewCluster(t testing.TB, n int, open func(testing.TB) store.Store, configure ...func(*authserver.Config)) *Cluster {
	t.Helper()
	lb := httptest.NewUnstartedServer(nil)
	c := &Cluster{Issuer: "http://" + lb.Listener.Addr().String()}
	base := fixtures(t, c.Issuer, configure)
	for i := range n {
		st := open(t)
		t.Cleanup(func() { st.Close() })
		if i == 0 {
			base.prepare(t, st)
		}
		node := base.clone()
		ts := httptest.NewUnstartedServer(nil)
		node.URL = "http://" + ts.Listener.Addr().String()
		node.start(t, ts, st)
		c.Nodes = append(c.Nodes, node)
	}
	var next atomic.Uint32
	lb.Config.Handler = &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		node := c.Nodes[int(next.Add(1))%len(c.Nodes)]
		u, _ := url.Parse(node.URL)
		r.SetURL(u)
		r.Out.Host = r.In.Host
	}}
	lb.Start()
	t.Cleanup(lb.Close)
	return c
}

// fixtures makes the clients, the user and the App of a test server whose
// issuer is issuer.
func fixtures(t testing.TB, issuer string, configure []func(*authserver.Config)) *Server {
	s := &Server{URL: issuer, callbacks: &callbackLog{}}
	s.App = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.callbacks.add(r.URL)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><title>App</title><p id=app>The app</p>")
	}))
	t.Cleanup(s.App.Close)
	s.RedirectURI = s.App.URL + "/callback"
	secret, hash := authserver.NewSecret()
	webSecret, webHash := authserver.NewSecret()
	s.ClientID, s.ClientSecret = "test-client", secret
	s.WebClientID, s.WebClientSecret, s.SPAClientID = "web-app", webSecret, "spa"
	s.Username, s.Password = "demo", "demo-password-"+webSecret[:8]
	codeGrants := []string{"authorization_code", "refresh_token"}
	s.Config = authserver.Config{
		Issuer: issuer,
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
	return s
}

// clone copies the fixtures for another node of a cluster.
func (s *Server) clone() *Server {
	c := &Server{}
	c.URL, c.ClientID, c.ClientSecret = s.URL, s.ClientID, s.ClientSecret
	c.Username, c.Password = s.Username, s.Password
	c.WebClientID, c.WebClientSecret, c.SPAClientID = s.WebClientID, s.WebClientSecret, s.SPAClientID
	c.App, c.RedirectURI, c.Config, c.callbacks = s.App, s.RedirectURI, s.Config, s.callbacks
	return c
}

func (s *Server) now() time.Time {
	if s.Config.Now != nil {
		return s.Config.Now()
	}
	return time.Now()
}

func (s *Server) tokenTTL() time.Duration {
	return cmp.Or(s.Config.AccessTokenTTL, authserver.DefaultAccessTokenTTL)
}

// prepare gives the store its signing keys and the test user.
func (s *Server) prepare(t testing.TB, st store.Store) {
	ctx := context.Background()
	alg := cmp.Or(s.Config.AccessTokenAlg, keys.ES256)
	algs := []string{alg}
	if alg != keys.RS256 {
		algs = append(algs, keys.RS256)
	}
	if err := keys.Ensure(ctx, st, algs, s.tokenTTL(), s.now()); err != nil {
		t.Fatalf("authservertest: %v", err)
	}
	if err := users.Sync(ctx, st, []users.Configured{{Username: s.Username, Password: s.Password, Claims: UserClaims}}, s.now()); err != nil {
		t.Fatalf("authservertest: %v", err)
	}
}

// start serves the authorization server on ts with the store st.
func (s *Server) start(t testing.TB, ts *httptest.Server, st store.Store) {
	var err error
	s.Store, s.http = st, ts
	if s.Keys, err = keys.NewManager(context.Background(), st, s.tokenTTL(), s.Config.Now); err != nil {
		t.Fatalf("authservertest: %v", err)
	}
	// Each node reads the secret from the shared database, as instances do.
	if s.Config.Secret, err = keys.Secret(context.Background(), st); err != nil {
		t.Fatalf("authservertest: %v", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	if s.logTo != nil {
		log = slog.New(slog.NewTextHandler(s.logTo, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := authserver.New(s.Config, st, s.Keys, log)
	if err != nil {
		t.Fatalf("authservertest: %v", err)
	}
	// As serve does before it listens.
	if err := srv.ReloadAPIs(context.Background()); err != nil {
		t.Fatalf("authservertest: %v", err)
	}
	s.Instance, s.Handler = srv, srv.Handler()
	s.mux = http.NewServeMux()
	s.mux.Handle("/", s.Handler)
	ts.Config.Handler = s.mux
	ts.Start()
	t.Cleanup(ts.Close)
}

// Mount serves h at pattern (an http.ServeMux pattern) on the server's
// listener, beside the authorization server, as serve mounts the
// management API on the issuer's.
func (s *Server) Mount(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Callbacks returns the requests the App received, oldest first.
func (s *Server) Callbacks() []*url.URL {
	s.callbacks.mu.Lock()
	defer s.callbacks.mu.Unlock()
	return slices.Clone(s.callbacks.urls)
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

// DPoPToken returns an access token for the test client with the given
// scope ("" for every scope), bound to key (RFC 9449): the token request
// carries a proof of key, retried once if the server asks for a nonce.
func (s *Server) DPoPToken(t testing.TB, key *dpop.Key, scope string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	var out struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	// The proof's htu is the issuer's token endpoint, which a cluster
	// node's own URL is not.
	s.postWith(t, dpop.HTTPClient(key, nil), s.Config.Issuer+"/token", form, &out)
	if out.TokenType != "DPoP" {
		t.Fatalf("authservertest: token_type %q, want DPoP", out.TokenType)
	}
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
	s.postWith(t, http.DefaultClient, s.URL+path, form, out)
}

// postWith posts form to u as the test client with c, and decodes a 200
// answer into out.
func (s *Server) postWith(t testing.TB, c *http.Client, u string, form url.Values, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.ClientID, s.ClientSecret)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("authservertest: POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("authservertest: POST %s: %d %s", u, resp.StatusCode, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("authservertest: POST %s: %v", u, err)
		}
	}
}
