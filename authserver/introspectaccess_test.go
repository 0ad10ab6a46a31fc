package authserver_test

import (
	"net/url"
	"testing"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
)

// TestIntrospectionAccess: a client learns about an access token issued to
// it, or for an API that lists it among its introspection clients, or any
// token with IntrospectAny; to every other client the token is inactive.
func TestIntrospectionAccess(t *testing.T) {
	secrets := map[string]string{}
	as := authservertest.New(t, func(c *authserver.Config) {
		c.APIs[0].IntrospectionClients = []string{"users-rs"}
		c.APIs = append(c.APIs, authserver.API{Identifier: billingAPI, Scopes: []string{"read:invoices"},
			IntrospectionClients: []string{"billing-rs"}})
		c.Clients[0].Scopes = append(c.Clients[0].Scopes, "read:invoices")
		for _, cl := range []store.Client{
			{ID: "users-rs"}, {ID: "billing-rs"}, {ID: "gateway", IntrospectAny: true},
			{ID: "stranger", Scopes: []string{"list:users"}},
		} {
			secret, hash := authserver.NewSecret()
			secrets[cl.ID] = secret
			cl.SecretHash, cl.AuthMethod, cl.GrantTypes = hash, store.AuthSecretBasic, []string{"client_credentials"}
			c.Clients = append(c.Clients, cl)
		}
	})
	secrets[as.ClientID] = as.ClientSecret
	token := func(resources ...string) string {
		t.Helper()
		form := url.Values{"grant_type": {"client_credentials"}, "resource": resources}
		status, body := postForm(t, as.URL+"/token", form, basic(as.ClientID, as.ClientSecret))
		if status != 200 {
			t.Fatalf("token: %d %v", status, body)
		}
		return body["access_token"].(string)
	}
	users, billing, both := token(authservertest.API), token(billingAPI), token(authservertest.API, billingAPI)

	tests := []struct {
		name       string
		client     string
		token      string
		wantActive bool
	}{
		{"the token's own client", as.ClientID, users, true},
		{"an introspection client of the token's API", "users-rs", users, true},
		{"an introspection client of another API", "billing-rs", users, false},
		{"an introspection client of one of the token's APIs", "billing-rs", both, true},
		{"a client of the same API's scopes, not registered for it", "stranger", users, false},
		{"a client with introspect any", "gateway", billing, true},
		{"introspect any, a token for two APIs", "gateway", both, true},
		{"an unrelated client, a token for two APIs", "stranger", both, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postForm(t, as.URL+"/introspect", url.Values{"token": {tt.token}}, basic(tt.client, secrets[tt.client]))
			if status != 200 {
				t.Fatalf("introspect: %d %v", status, body)
			}
			if !tt.wantActive {
				if len(body) != 1 || body["active"] != false {
					t.Fatalf("got %v, want only active: false", body)
				}
				return
			}
			if body["active"] != true || body["client_id"] != as.ClientID || body["sub"] != as.ClientID {
				t.Fatalf("got %v, want the active token's claims", body)
			}
		})
	}
}

// TestIntrospectAnyRefreshToken: introspect any covers access tokens only;
// a refresh token is still told only to the client it was issued to.
func TestIntrospectAnyRefreshToken(t *testing.T) {
	gwSecret, gwHash := authserver.NewSecret()
	as := authservertest.New(t, func(c *authserver.Config) {
		c.Clients = append(c.Clients, store.Client{ID: "gateway", SecretHash: gwHash, AuthMethod: store.AuthSecretBasic,
			GrantTypes: []string{"client_credentials"}, IntrospectAny: true})
	})
	_, _, tok := signedIn(t, as, "openid", "offline_access", "read:users")
	introspect := func(raw string, h header) map[string]any {
		t.Helper()
		_, body := postForm(t, as.URL+"/introspect", url.Values{"token": {raw}}, h)
		return body
	}
	gw, web := basic("gateway", gwSecret), basic(as.WebClientID, as.WebClientSecret)
	if got := introspect(tok.RefreshToken, gw); len(got) != 1 || got["active"] != false {
		t.Fatalf("refresh token introspected by a gateway: %v", got)
	}
	if got := introspect(tok.RefreshToken, web); got["active"] != true {
		t.Fatalf("refresh token introspected by its client: %v", got)
	}
	if got := introspect(tok.AccessToken, gw); got["active"] != true || got["client_id"] != as.WebClientID {
		t.Fatalf("the web client's access token introspected by the gateway: %v", got)
	}
}
