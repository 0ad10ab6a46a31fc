package sdk_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/sdk"
)

// A service registers itself with a one-time initial access token, gets a
// token at once with golang.org/x/oauth2, reads, updates and deletes its
// registration with its registration access token; the deleted client
// gets no more tokens (RFC 7591, RFC 7592).
func TestRegistrationLifecycle(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	r, err := sdk.NewRegistrar(s.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := r.Register(ctx, s.InitialToken, registry.ClientMetadata{ClientName: "Batch",
		GrantTypes: []string{"client_credentials"}, Scope: "read:users"})
	if err != nil {
		t.Fatal(err)
	}
	if reg.ClientID == "" || reg.ClientSecret == "" || reg.RegistrationAccessToken == "" ||
		reg.RegistrationClientURI != s.URL+"/register/"+url.PathEscape(reg.ClientID) || reg.Scope != "read:users" {
		t.Fatalf("registration answer %+v", reg)
	}
	cc := clientcredentials.Config{ClientID: reg.ClientID, ClientSecret: reg.ClientSecret, TokenURL: s.URL + "/token",
		Scopes: []string{"read:users"}, AuthStyle: oauth2.AuthStyleInHeader}
	if _, err := cc.Token(ctx); err != nil {
		t.Fatalf("a token for the registered client: %v", err)
	}

	got, err := r.ReadRegistration(ctx, reg)
	if err != nil || got.ClientID != reg.ClientID || got.ClientName != "Batch" || got.ClientSecret != "" {
		t.Fatalf("read: %+v, %v", got, err)
	}
	md := got.ClientMetadata
	md.ClientName = "Batch 2"
	got, err = r.UpdateRegistration(ctx, reg, md)
	if err != nil || got.ClientName != "Batch 2" || got.Scope != "read:users" {
		t.Fatalf("update: %+v, %v", got, err)
	}
	md.RedirectURIs, md.GrantTypes = []string{"http://app.example.com/cb"}, []string{"authorization_code"}
	if _, err := r.UpdateRegistration(ctx, reg, md); !sdk.IsRegistrationError(err, "invalid_redirect_uri") {
		t.Fatalf("update to an http redirect URI: %v; want invalid_redirect_uri", err)
	}

	if err := r.DeleteRegistration(ctx, reg); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadRegistration(ctx, reg); !sdk.IsRegistrationError(err, "invalid_token") {
		t.Fatalf("read after delete: %v; want invalid_token", err)
	}
	if _, err := cc.Token(ctx); err == nil {
		t.Fatal("a deleted registration still gets tokens")
	}
	// The one-time token is spent.
	_, err = r.Register(ctx, s.InitialToken, registry.ClientMetadata{GrantTypes: []string{"client_credentials"}})
	var re *sdk.RegistrationError
	if !errors.As(err, &re) || re.StatusCode != http.StatusUnauthorized || re.Code != "invalid_token" {
		t.Fatalf("register with a spent one-time token: %v; want 401 invalid_token", err)
	}
}

// An access token of the management API that holds admin:clients:write is
// an initial access token too; one without it, none, or a made-up one is
// refused; and a registration's token never goes to a URI that is not its
// client's configuration endpoint at this issuer.
func TestRegistrationRefusals(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	r, err := sdk.NewRegistrar(s.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	adminToken := func(scope string) string {
		cc := clientcredentials.Config{ClientID: s.AdminID, ClientSecret: s.AdminSecret, TokenURL: s.URL + "/token",
			Scopes: []string{scope}, EndpointParams: url.Values{"resource": {registry.AdminAudience(s.URL)}}}
		tok, err := cc.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	web := registry.ClientMetadata{ClientName: "Web", RedirectURIs: []string{"https://app.example.com/cb"}, Scope: "openid"}
	reg, err := r.Register(ctx, adminToken(registry.ScopeClientsWrite), web)
	if err != nil || reg.ClientSecret == "" || reg.GrantTypes[0] != "authorization_code" {
		t.Fatalf("register with an admin token: %+v, %v", reg, err)
	}

	tests := []struct {
		name   string
		token  string
		md     registry.ClientMetadata
		status int
		code   string
	}{
		{"a made-up token", "not-a-token", web, http.StatusUnauthorized, "invalid_token"},
		{"an admin token without admin:clients:write", adminToken(registry.ScopeClientsRead), web, http.StatusForbidden, "insufficient_scope"},
		{"an http redirect URI", adminToken(registry.ScopeClientsWrite),
			registry.ClientMetadata{RedirectURIs: []string{"http://app.example.com/cb"}}, http.StatusBadRequest, "invalid_redirect_uri"},
		{"an admin scope", adminToken(registry.ScopeClientsWrite),
			registry.ClientMetadata{RedirectURIs: []string{"https://app.example.com/cb"}, Scope: registry.ScopeUsersWrite}, http.StatusBadRequest, "invalid_client_metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Register(ctx, tt.token, tt.md)
			var re *sdk.RegistrationError
			if !errors.As(err, &re) || re.StatusCode != tt.status || re.Code != tt.code {
				t.Fatalf("got %v; want %d %s", err, tt.status, tt.code)
			}
		})
	}
	if _, err := r.Register(ctx, "", web); err == nil {
		t.Fatal("a registration without a token was sent")
	}

	// The token would go elsewhere: refused before any request.
	for _, uri := range []string{"https://evil.example.com/register/" + reg.ClientID, s.URL + "/register/other", s.URL + "/admin/v1/clients/" + reg.ClientID} {
		bad := reg
		bad.RegistrationClientURI = uri
		if _, err := r.ReadRegistration(ctx, bad); err == nil || errors.As(err, new(*sdk.RegistrationError)) {
			t.Errorf("read with the client URI %s: %v; want a refusal before sending", uri, err)
		}
	}
	if got, err := r.ReadRegistration(ctx, reg); err != nil || got.ClientName != "Web" {
		t.Fatalf("read: %+v, %v", got, err)
	}
}
