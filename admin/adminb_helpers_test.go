package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// bAdminClient is the test deployment's admin client: it may have every
// scope of the management API.
const bAdminClient = "adminb-client"

// bEnv is a real authorization server (SQLite) with the management API
// served beside it, guarded by a real guard.Guard against the server.
type bEnv struct {
	as     *authservertest.Server
	url    string // the management API's server, without PathPrefix
	secret string

	mu     sync.Mutex
	tokens map[string]string // by scope
}

// newBEnv starts the server, with the management API as one of its APIs
// and the test user "demo" defined by the configuration file.
func newBEnv(t *testing.T) *bEnv {
	t.Helper()
	secret, hash := authserver.NewSecret()
	as := authservertest.New(t, func(c *authserver.Config) {
		c.APIs = append(c.APIs, authserver.API{Identifier: registry.AdminAudience(c.Issuer), Name: "Management API",
			Scopes: registry.AdminScopes})
		c.Clients = append(c.Clients, store.Client{ID: bAdminClient, SecretHash: hash, AuthMethod: store.AuthSecretBasic,
			GrantTypes: []string{"client_credentials"}, Scopes: registry.AdminScopes})
	})
	g, err := guard.New(context.Background(), guard.Options{Issuer: as.URL, Audience: admin.Audience(as.URL)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	srv, err := admin.New(admin.Config{Issuer: as.URL, Store: as.Store, Rules: &config.Config{}, Guard: g,
		FileClients: as.Config.Clients, FileUsers: []string{as.Username}, KeyAlgorithms: []string{"ES256", "RS256"},
		KeyRetention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &bEnv{as: as, url: ts.URL, secret: secret, tokens: map[string]string{}}
}

// token returns an access token of the admin client for the management
// API with scope (space-separated), fetched once per scope.
func (e *bEnv) token(t *testing.T, scope string) string {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if tok, ok := e.tokens[scope]; ok {
		return tok
	}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}
	req, _ := http.NewRequest(http.MethodPost, e.as.URL+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(bAdminClient, e.secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		t.Fatalf("token for %q: %d", scope, resp.StatusCode)
	}
	e.tokens[scope] = out.AccessToken
	return out.AccessToken
}

// bResp is an answer of the management API.
type bResp struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v.
func (r bResp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer %d %s: %v", r.status, r.body, err)
	}
}

// problem decodes a problem answer.
func (r bResp) problem(t *testing.T) admin.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json; body %s", ct, r.body)
	}
	var p admin.Problem
	r.json(t, &p)
	return p
}

// field reports whether the problem names field.
func bNames(p admin.Problem, field string) bool {
	for _, f := range p.Errors {
		if f.Field == field {
			return true
		}
	}
	return false
}

// bReq is a request to the management API.
type bReq struct {
	method, path string // path is below PathPrefix: "users/x"
	scope        string // the token's scope; empty sends no token
	body         string
	contentType  string // default application/json when there is a body
	ifMatch      string
}

// do sends q and returns the answer.
func (e *bEnv) do(t *testing.T, q bReq) bResp {
	t.Helper()
	var body io.Reader
	if q.body != "" {
		body = strings.NewReader(q.body)
	}
	req, err := http.NewRequest(q.method, e.url+admin.PathPrefix+q.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if q.body != "" {
		ct := q.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if q.ifMatch != "" {
		req.Header.Set("If-Match", q.ifMatch)
	}
	if q.scope != "" {
		req.Header.Set("Authorization", "Bearer "+e.token(t, q.scope))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return bResp{status: resp.StatusCode, header: resp.Header, body: b}
}

// must sends q and fails the test unless the answer has status want.
func (e *bEnv) must(t *testing.T, q bReq, want int) bResp {
	t.Helper()
	r := e.do(t, q)
	if r.status != want {
		t.Fatalf("%s %s: %d %s, want %d", q.method, q.path, r.status, r.body, want)
	}
	return r
}

// createUser adds a user through the API and returns it.
func (e *bEnv) createUser(t *testing.T, username string) registry.UserInfo {
	t.Helper()
	var u registry.UserInfo
	e.must(t, bReq{method: "POST", path: "users", scope: registry.ScopeUsersWrite,
		body: `{"username":"` + username + `","password":"correct horse battery","claims":{"email":"` + username + `@example.com"}}`},
		http.StatusCreated).json(t, &u)
	return u
}

// grant stores a live grant of user at client, created at created.
func (e *bEnv) grant(t *testing.T, id, user, client string, created time.Time) {
	t.Helper()
	err := e.as.Store.CreateGrant(context.Background(), store.Grant{ID: id, UserID: user, ClientID: client,
		CreatedAt: created, ExpiresAt: created.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
}

// audit returns the stored audit events of type typ, newest first.
func (e *bEnv) audit(t *testing.T, typ string) []store.AuditEvent {
	t.Helper()
	evs, err := e.as.Store.ListAudit(context.Background(), store.AuditFilter{Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// bigBody is a JSON object larger than the API's 64 KiB bound.
var bigBody = `{"username":"` + strings.Repeat("x", 70<<10) + `"}`
