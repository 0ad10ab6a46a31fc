package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/registry"
)

// TestClientRequireMFA: require_mfa is created, read and patched like the
// client's other fields and reaches the stored client; a value that is
// not a boolean is refused.
func TestClientRequireMFA(t *testing.T) {
	e := newEnv(t)
	tok := e.Token(t, "admin", "")
	path := admin.PathPrefix + "clients/mfa-web"
	a := e.do(t, call{method: "POST", path: admin.PathPrefix + "clients", token: tok, body: registry.Client{
		ClientID: "mfa-web", GrantTypes: []string{"authorization_code"}, RedirectURIs: []string{"https://app.example.com/cb"},
		Scopes: []string{"openid"}, RequireMFA: true}})
	if a.status != http.StatusCreated || !strings.Contains(string(a.body), `"require_mfa":true`) {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	var got registry.ClientInfo
	e.do(t, call{method: "GET", path: path, token: tok}).decode(t, &got)
	if !got.RequireMFA || !e.StoredClient(t, "mfa-web").RequireMFA {
		t.Fatalf("read %+v, stored %+v; want require_mfa", got, e.StoredClient(t, "mfa-web"))
	}
	for _, c := range []struct {
		name   string
		patch  map[string]any
		status int
		want   bool
	}{
		{"not a boolean", map[string]any{"require_mfa": "yes"}, http.StatusBadRequest, true},
		{"turned off", map[string]any{"require_mfa": false}, http.StatusOK, false},
		{"turned on", map[string]any{"require_mfa": true}, http.StatusOK, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := e.do(t, call{method: "PATCH", path: path, token: tok, body: c.patch, contentType: "application/merge-patch+json"})
			if p.status != c.status {
				t.Fatalf("patch: %d %s, want %d", p.status, p.body, c.status)
			}
			if got := e.StoredClient(t, "mfa-web").RequireMFA; got != c.want {
				t.Errorf("stored require_mfa %v, want %v", got, c.want)
			}
		})
	}
}
