package admin_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// TestClientConnectorsShown: a client restricted to some connectors and
// requiring a second factor reads, alone and in the list, with connectors
// and require_mfa as its YAML entry spells them, and the answers conform to
// the OpenAPI document (whose client schemas refuse unknown fields).
func TestClientConnectorsShown(t *testing.T) {
	e := newEnv(t)
	err := e.AS.Store.CreateClient(context.Background(), store.Client{
		ID: "fed-web", Name: "Federated web", AuthMethod: store.AuthNone, GrantTypes: []string{"authorization_code"},
		RedirectURIs: []string{"https://fed.example/cb"}, Scopes: []string{"openid"},
		Connectors: []string{"corp", "github"}, RequireMFA: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	tok := e.Token(t, "admin", "")
	var one registry.ClientInfo
	e.do(t, call{method: "GET", path: admin.PathPrefix + "clients/fed-web", token: tok}).decode(t, &one)
	if !slices.Equal(one.Connectors, []string{"corp", "github"}) || !one.RequireMFA {
		t.Errorf("client %+v, want connectors corp, github and require_mfa", one)
	}
	a := e.do(t, call{method: "GET", path: admin.PathPrefix + "clients?limit=200", token: tok})
	if a.status != http.StatusOK {
		t.Fatalf("list: %d %s", a.status, a.body)
	}
	var page struct {
		Items []registry.ClientInfo `json:"items"`
	}
	a.decode(t, &page)
	i := slices.IndexFunc(page.Items, func(c registry.ClientInfo) bool { return c.ClientID == "fed-web" })
	if i < 0 || !slices.Equal(page.Items[i].Connectors, []string{"corp", "github"}) {
		t.Errorf("the list's fed-web: %+v", page.Items)
	}
}
