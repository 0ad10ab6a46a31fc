package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/registry"
)

// TestBuiltinAdminAPI: the management API is an API of every deployment,
// whose scopes a file client may hold, and whose identifier no other API
// may take, in the file or at run time.
func TestBuiltinAdminAPI(t *testing.T) {
	doc := `
issuer: http://127.0.0.1:8080
storage: sqlite://x.db
clients:
  - {client_id: ops, client_secret: ` + secret + `, grant_types: [client_credentials], scopes: [admin:clients:write, admin:apis:read]}
`
	cfg, err := Parse([]byte(doc), "/", env(nil))
	if err != nil {
		t.Fatalf("a client holding admin scopes: %v", err)
	}
	as := cfg.AuthServer()
	i := slices.IndexFunc(as.APIs, func(a authserver.API) bool { return a.Identifier == "http://127.0.0.1:8080/admin/v1" })
	if i < 0 {
		t.Fatalf("APIs %+v: no management API", as.APIs)
	}
	if api := as.APIs[i]; !slices.Equal(api.Scopes, registry.AdminScopes) || api.Name == "" || api.Descriptions[registry.ScopeKeysWrite] == "" {
		t.Fatalf("management API %+v", api)
	}

	tests := []struct {
		name, doc, field string
	}{
		{"file API with the management API's identifier", `
issuer: http://127.0.0.1:8080
storage: sqlite://x.db
apis: [{identifier: "http://127.0.0.1:8080/admin/v1", scopes: [a]}]
`, "apis[0].identifier"},
		{"unknown admin scope", `
issuer: http://127.0.0.1:8080
storage: sqlite://x.db
clients:
  - {client_id: ops, client_secret: ` + secret + `, grant_types: [client_credentials], scopes: ["admin:everything"]}
`, "clients[0].scopes[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), "/", env(nil))
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("error %v, want one naming %s", err, tt.field)
			}
		})
	}

	t.Run("API registered at run time with the management API's identifier", func(t *testing.T) {
		_, err := cfg.NewAPI(API{Identifier: "http://127.0.0.1:8080/admin/v1", Scopes: []registry.Scope{{Name: "x"}}},
			func(string) (bool, bool) { return false, false })
		fe := FieldErrors(err)
		if len(fe) != 1 || fe[0].Field != "identifier" {
			t.Fatalf("NewAPI: %v", err)
		}
	})
}
