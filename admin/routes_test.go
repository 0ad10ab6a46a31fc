package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/registry"
)

// route is one route of this part with a request that would succeed.
type route struct {
	name, method, path, scope string
	body                      any
	patch                     bool
}

// routes returns the routes of clients and APIs, aimed at the stored
// client "svc" and API apiID that seed creates.
func routes() []route {
	api := admin.PathPrefix + "apis/" + url.PathEscape(apiID)
	return []route{
		{name: "list clients", method: "GET", path: admin.PathPrefix + "clients", scope: admin.ScopeClientsRead},
		{name: "create client", method: "POST", path: admin.PathPrefix + "clients", scope: admin.ScopeClientsWrite, body: newService("svc2")},
		{name: "get client", method: "GET", path: admin.PathPrefix + "clients/svc", scope: admin.ScopeClientsRead},
		{name: "patch client", method: "PATCH", path: admin.PathPrefix + "clients/svc", scope: admin.ScopeClientsWrite, body: map[string]any{"client_name": "Svc"}, patch: true},
		{name: "rotate secret", method: "POST", path: admin.PathPrefix + "clients/svc/secret", scope: admin.ScopeClientsWrite, body: map[string]any{"overlap": "1h"}},
		{name: "delete client", method: "DELETE", path: admin.PathPrefix + "clients/svc", scope: admin.ScopeClientsWrite},
		{name: "list APIs", method: "GET", path: admin.PathPrefix + "apis", scope: admin.ScopeAPIsRead},
		{name: "create API", method: "POST", path: admin.PathPrefix + "apis", scope: admin.ScopeAPIsWrite, body: newAPI("https://other.example.com")},
		{name: "get API", method: "GET", path: api, scope: admin.ScopeAPIsRead},
		{name: "patch API", method: "PATCH", path: api, scope: admin.ScopeAPIsWrite, body: map[string]any{"name": "Renamed"}, patch: true},
		{name: "delete API", method: "DELETE", path: api, scope: admin.ScopeAPIsWrite},
	}
}

// apiID is the stored API seed creates.
const apiID = "https://orders.example.com/v1"

// newService is a confidential client of the client credentials grant.
func newService(id string) registry.Client {
	return registry.Client{ClientID: id, GrantTypes: []string{"client_credentials"}, Scopes: []string{"read:users"}}
}

// newAPI is an API with one scope.
func newAPI(id string) registry.API {
	return registry.API{Identifier: id, Name: "Orders", Scopes: []registry.Scope{{Name: "orders:read", Description: "read orders"}}}
}

// seed creates the stored client "svc" and the API apiID.
func (e *testEnv) seed(t *testing.T) {
	t.Helper()
	tok := e.Token(t, "admin", "")
	if a := e.do(t, call{method: "POST", path: admin.PathPrefix + "clients", token: tok, body: newService("svc")}); a.status != http.StatusCreated {
		t.Fatalf("seed client: %d %s", a.status, a.body)
	}
	if a := e.do(t, call{method: "POST", path: admin.PathPrefix + "apis", token: tok, body: newAPI(apiID)}); a.status != http.StatusCreated {
		t.Fatalf("seed API: %d %s", a.status, a.body)
	}
}

// Every route refuses a request without a token (401 with a Bearer
// challenge) and a token without its scope (403 insufficient_scope naming
// the scope), before it reads anything.
func TestRoutesNeedTheirScope(t *testing.T) {
	e := newEnv(t)
	e.seed(t)
	// A token of the admin client with a scope of another collection.
	other := e.Token(t, "admin", admin.ScopeKeysRead)
	for _, r := range routes() {
		t.Run(r.name, func(t *testing.T) {
			a := e.do(t, call{method: r.method, path: r.path, body: r.body})
			if a.status != http.StatusUnauthorized || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("without a token: %d %q", a.status, a.header.Get("WWW-Authenticate"))
			}
			a = e.do(t, call{method: r.method, path: r.path, body: r.body, token: other})
			ch := a.header.Get("WWW-Authenticate")
			if a.status != http.StatusForbidden || !strings.Contains(ch, `error="insufficient_scope"`) || !strings.Contains(ch, `scope="`+r.scope+`"`) {
				t.Errorf("with %s only: %d %q, want 403 insufficient_scope naming %s", admin.ScopeKeysRead, a.status, ch, r.scope)
			}
		})
	}
	// The reader may read but not write.
	reader := e.Token(t, "reader", "")
	for _, r := range routes() {
		a := e.do(t, call{method: r.method, path: r.path, body: r.body, token: reader})
		if write := strings.HasSuffix(r.scope, ":write"); write != (a.status == http.StatusForbidden) {
			t.Errorf("%s with the read scopes: %d", r.name, a.status)
		}
	}
}

// Every route with a body refuses an unknown field (400), a body over
// 64 KiB (413) and a body that is not JSON (415), and changes nothing.
func TestRoutesRefuseBadBodies(t *testing.T) {
	e := newEnv(t)
	e.seed(t)
	tok := e.Token(t, "admin", "")
	big := `{"client_name": "` + strings.Repeat("x", 70<<10) + `"}`
	for _, r := range routes() {
		if r.body == nil {
			continue
		}
		t.Run(r.name, func(t *testing.T) {
			for _, c := range []struct {
				name, body, contentType string
				status                  int
				slug                    string
			}{
				{"unknown field", `{"client_nmae": "x"}`, "", http.StatusBadRequest, "malformed-request"},
				{"not an object", `[1, 2]`, "", http.StatusBadRequest, "malformed-request"},
				{"oversized", big, "", http.StatusRequestEntityTooLarge, "request-too-large"},
				{"wrong content type", `{}`, "text/plain", http.StatusUnsupportedMediaType, "unsupported-media-type"},
			} {
				a := e.do(t, call{method: r.method, path: r.path, token: tok, body: c.body, contentType: c.contentType})
				if a.status != c.status || !strings.HasSuffix(a.problem(t).Type, "/"+c.slug) {
					t.Errorf("%s: %d %s, want %d %s", c.name, a.status, a.body, c.status, c.slug)
				}
			}
		})
	}
	if c := e.StoredClient(t, "svc"); c.Name != "" || !c.UpdatedAt.IsZero() {
		t.Errorf("a refused request changed the client: %+v", c)
	}
}

// What the file defines, and the built-in management API, cannot be
// changed here: 409 with a problem that says to edit the file.
func TestFileResourcesAreReadOnly(t *testing.T) {
	e := newEnv(t)
	tok := e.Token(t, "admin", "")
	file := admin.PathPrefix + "clients/test-client"
	fileAPI := admin.PathPrefix + "apis/" + url.PathEscape(authservertest.API)
	builtin := admin.PathPrefix + "apis/" + url.PathEscape(admin.Audience(e.AS.URL))
	for _, c := range []struct {
		name, method, path string
		body               any
	}{
		{"create a client with a file client's ID", "POST", admin.PathPrefix + "clients", newService("test-client")},
		{"patch a file client", "PATCH", file, map[string]any{"client_name": "x"}},
		{"delete a file client", "DELETE", file, nil},
		{"rotate a file client's secret", "POST", file + "/secret", nil},
		{"create an API with a file API's identifier", "POST", admin.PathPrefix + "apis", newAPI(authservertest.API)},
		{"patch a file API", "PATCH", fileAPI, map[string]any{"name": "x"}},
		{"delete a file API", "DELETE", fileAPI, nil},
		{"create the built-in API", "POST", admin.PathPrefix + "apis", newAPI(admin.Audience(e.AS.URL))},
		{"patch the built-in API", "PATCH", builtin, map[string]any{"name": "x"}},
		{"delete the built-in API", "DELETE", builtin, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := e.do(t, call{method: c.method, path: c.path, token: tok, body: c.body})
			if p := a.problem(t); a.status != http.StatusConflict || !strings.HasSuffix(p.Type, "/conflict") {
				t.Errorf("%d %s, want 409 conflict", a.status, a.body)
			}
		})
	}
	// They are listed and read with their source.
	var page struct{ Items []registry.ClientInfo }
	e.do(t, call{method: "GET", path: admin.PathPrefix + "clients", token: tok}).decode(t, &page)
	for _, c := range page.Items {
		if c.Source != registry.SourceConfig {
			t.Errorf("%s is listed with source %q, want config", c.ClientID, c.Source)
		}
	}
	if len(page.Items) != 5 {
		t.Errorf("%d clients listed, want the file's 5", len(page.Items))
	}
	a := e.do(t, call{method: "GET", path: builtin, token: tok})
	var api registry.APIInfo
	a.decode(t, &api)
	if a.status != http.StatusOK || api.Source != admin.SourceBuiltin || len(api.Scopes) != len(registry.AdminScopes) {
		t.Errorf("the built-in API: %d %s", a.status, a.body)
	}
}
