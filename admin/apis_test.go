package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/registry"
)

// An API is listed beside the file's and the built-in one, read and
// changed by its identifier percent-encoded as one path segment, and
// deleted.
func TestAPILifecycle(t *testing.T) {
	e := newEnv(t)
	tok := e.Token(t, "admin", "")
	a := e.do(t, call{method: "POST", path: admin.PathPrefix + "apis", token: tok, body: map[string]any{
		"identifier": apiID, "name": "Orders", "scopes": []any{"orders:read", map[string]any{"name": "orders:write", "description": "change orders"}},
		"access_token_ttl": "5m"}})
	var api registry.APIInfo
	a.decode(t, &api)
	path := admin.PathPrefix + "apis/" + url.PathEscape(apiID)
	if a.status != http.StatusCreated || a.header.Get("Location") != path || api.Source != registry.SourceStore ||
		len(api.Scopes) != 2 || api.Scopes[1].Description != "change orders" || api.AccessTokenTTL.D() != 5*time.Minute {
		t.Fatalf("create: %d %v %s", a.status, a.header.Get("Location"), a.body)
	}
	if e.Changes.Load() != 1 {
		t.Errorf("Changed called %d times after a create", e.Changes.Load())
	}
	var page struct{ Items []registry.APIInfo }
	e.do(t, call{method: "GET", path: admin.PathPrefix + "apis", token: tok}).decode(t, &page)
	var sources []string
	for _, a := range page.Items {
		sources = append(sources, a.Identifier+"="+a.Source)
	}
	// By identifier: http://127.0.0.1... sorts before https://.
	want := []string{admin.Audience(e.AS.URL) + "=builtin", authservertest.API + "=config", apiID + "=store"}
	if strings.Join(sources, " ") != strings.Join(want, " ") {
		t.Fatalf("listed %v, want %v", sources, want)
	}
	r := e.do(t, call{method: "GET", path: path, token: tok})
	etag := r.header.Get("ETag")
	if r.status != http.StatusOK || etag != a.header.Get("ETag") {
		t.Fatalf("read: %d %s", r.status, r.body)
	}
	p := e.do(t, call{method: "PATCH", path: path, token: tok, contentType: "application/merge-patch+json",
		body: map[string]any{"scopes": []string{"orders:read"}, "access_token_ttl": nil}, header: map[string]string{"If-Match": etag}})
	api = registry.APIInfo{}
	p.decode(t, &api)
	if p.status != http.StatusOK || len(api.Scopes) != 1 || api.AccessTokenTTL != 0 || api.UpdatedAt.IsZero() {
		t.Fatalf("patch: %d %s", p.status, p.body)
	}
	for _, c := range []struct {
		name   string
		body   map[string]any
		ifm    string
		status int
		field  string
	}{
		{"a stale ETag", map[string]any{"name": "x"}, etag, http.StatusPreconditionFailed, ""},
		{"the identifier", map[string]any{"identifier": "https://x.example.com"}, "", http.StatusBadRequest, "identifier"},
		{"no scopes", map[string]any{"scopes": []string{}}, "", http.StatusBadRequest, "scopes"},
		{"an OpenID Connect scope", map[string]any{"scopes": []string{"openid"}}, "", http.StatusBadRequest, "scopes[0]"},
		{"a management API scope", map[string]any{"scopes": []string{"admin:users:write"}}, "", http.StatusBadRequest, "scopes[0]"},
	} {
		a := e.do(t, call{method: "PATCH", path: path, token: tok, body: c.body, header: map[string]string{"If-Match": c.ifm}})
		if p := a.problem(t); a.status != c.status || (c.field != "" && !hasField(p, c.field)) {
			t.Errorf("patch %s: %d %s", c.name, a.status, a.body)
		}
	}
	if d := e.do(t, call{method: "DELETE", path: path, token: tok, header: map[string]string{"If-Match": etag}}); d.status != http.StatusPreconditionFailed {
		t.Fatalf("delete with a stale ETag: %d", d.status)
	}
	if d := e.do(t, call{method: "DELETE", path: path, token: tok}); d.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", d.status, d.body)
	}
	if g := e.do(t, call{method: "GET", path: path, token: tok}); g.status != http.StatusNotFound {
		t.Fatalf("read after delete: %d", g.status)
	}
}

// A create is validated by the rules of the file's APIs.
func TestCreateAPIValidation(t *testing.T) {
	e := newEnv(t)
	tok := e.Token(t, "admin", "")
	for _, c := range []struct {
		name   string
		api    any
		status int
		field  string
	}{
		{"a relative identifier", newAPI("orders"), 400, "identifier"},
		{"an identifier with a fragment", newAPI("https://o.example.com/#x"), 400, "identifier"},
		{"no scopes", registry.API{Identifier: "https://o.example.com"}, 400, "scopes"},
		{"a scope twice", registry.API{Identifier: "https://o.example.com", Scopes: []registry.Scope{{Name: "a"}, {Name: "a"}}}, 400, "scopes[1]"},
		{"a bad scope", registry.API{Identifier: "https://o.example.com", Scopes: []registry.Scope{{Name: "a b"}}}, 400, "scopes[0]"},
		{"an unknown introspection client", registry.API{Identifier: "https://o.example.com", Scopes: []registry.Scope{{Name: "a"}},
			IntrospectionClients: []string{"nobody"}}, 400, "introspection_clients[0]"},
		{"a public introspection client", registry.API{Identifier: "https://o.example.com", Scopes: []registry.Scope{{Name: "a"}},
			IntrospectionClients: []string{"spa"}}, 400, "introspection_clients[0]"},
		{"a lifetime above the deployment's", registry.API{Identifier: "https://o.example.com", Scopes: []registry.Scope{{Name: "a"}},
			AccessTokenTTL: registry.Duration(48 * time.Hour)}, 400, "access_token_ttl"},
		{"a scope object with an unknown field", map[string]any{"identifier": "https://o.example.com", "scopes": []any{map[string]any{"name": "a", "descr": "x"}}}, 400, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := e.do(t, call{method: "POST", path: admin.PathPrefix + "apis", token: tok, body: c.api})
			if p := a.problem(t); a.status != c.status || (c.field != "" && !hasField(p, c.field)) {
				t.Errorf("%d %s, want %d naming %q", a.status, a.body, c.status, c.field)
			}
		})
	}
	e.do(t, call{method: "POST", path: admin.PathPrefix + "apis", token: tok, body: newAPI(apiID)})
	if a := e.do(t, call{method: "POST", path: admin.PathPrefix + "apis", token: tok, body: newAPI(apiID)}); a.status != http.StatusConflict {
		t.Fatalf("second create: %d %s", a.status, a.body)
	}
}

// An API created through the API makes its scopes grantable at once: a
// client created for it gets a token whose audience is the API, with no
// restart.
func TestCreatedAPIScopesAreGrantable(t *testing.T) {
	e := newEnv(t)
	tok := e.Token(t, "admin", "")
	if a := e.do(t, call{method: "POST", path: admin.PathPrefix + "apis", token: tok, body: newAPI(apiID)}); a.status != http.StatusCreated {
		t.Fatalf("create API: %d %s", a.status, a.body)
	}
	var c created
	a := e.do(t, call{method: "POST", path: admin.PathPrefix + "clients", token: tok, body: registry.Client{ClientID: "orders-svc",
		GrantTypes: []string{"client_credentials"}, Scopes: []string{"orders:read"}}})
	a.decode(t, &c)
	if a.status != http.StatusCreated {
		t.Fatalf("create client: %d %s", a.status, a.body)
	}
	g, err := guard.New(context.Background(), guard.Options{Issuer: e.AS.URL, Audience: apiID, RevocationInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	caller, err := g.Verify(context.Background(), e.TokenFor(t, "orders-svc", c.ClientSecret, "orders:read"))
	if err != nil || !caller.HasScope("orders:read") {
		t.Fatalf("the new API's guard refuses the token: %v", err)
	}
}
