package admin_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/admin/internal/admintest"
	"github.com/portcullis/portcullis/console"
	"github.com/portcullis/portcullis/registry"
)

// The console's built-in client is listed and read with source "builtin"
// and without a secret, and every change to it, creating a client with its
// ID included, is refused with 409 saying it is built in.
func TestBuiltinClient(t *testing.T) {
	e := newEnv(t, envOptions{console: true})
	path := "clients/" + console.ClientID
	var p struct{ Items []registry.ClientInfo }
	list := e.Must(t, admintest.Req{Method: "GET", Path: "clients", Scope: registry.ScopeClientsRead}, http.StatusOK)
	list.Decode(t, &p)
	var found *registry.ClientInfo
	for i, c := range p.Items {
		if c.ClientID == console.ClientID {
			found = &p.Items[i]
		}
	}
	if found == nil || found.Source != admin.SourceBuiltin {
		t.Fatalf("the console's client is not listed as built in: %+v", found)
	}
	var one registry.ClientInfo
	read := e.Must(t, admintest.Req{Method: "GET", Path: path, Scope: registry.ScopeClientsRead}, http.StatusOK)
	read.Decode(t, &one)
	if one.Source != admin.SourceBuiltin || len(one.RedirectURIs) != 1 || !strings.HasSuffix(one.RedirectURIs[0], "/console/callback") {
		t.Errorf("read %+v", one)
	}
	for _, body := range [][]byte{list.Body, read.Body} {
		if bytes.Contains(body, []byte(`"client_secret":`)) {
			t.Errorf("a secret is shown: %s", body)
		}
	}

	w := registry.ScopeClientsWrite
	for _, c := range []struct {
		name string
		q    admintest.Req
	}{
		{"create a client with its ID", admintest.Req{Method: "POST", Path: "clients", Scope: w,
			Body: `{"client_id":"` + console.ClientID + `","grant_types":["client_credentials"],"scopes":["read:users"]}`}},
		{"patch it", admintest.Req{Method: "PATCH", Path: path, Scope: w, Body: `{"client_name":"Mine"}`, ContentType: "application/merge-patch+json"}},
		{"rotate its secret", admintest.Req{Method: "POST", Path: path + "/secret", Scope: w, Body: `{}`}},
		{"delete it", admintest.Req{Method: "DELETE", Path: path, Scope: w}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := e.Must(t, c.q, http.StatusConflict)
			if p := a.Problem(t); !strings.HasSuffix(p.Type, "/conflict") || !strings.Contains(p.Detail, "built in") {
				t.Errorf("problem %+v, want a conflict saying it is built in", p)
			}
		})
	}
	if _, err := e.AS.Store.GetClient(t.Context(), console.ClientID); err == nil {
		t.Error("a client with the console's ID was stored")
	}
}
