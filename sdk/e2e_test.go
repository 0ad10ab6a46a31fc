package sdk_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/sdk"
)

// TestEndToEnd is the acceptance test: the SDK, holding only an
// admin client's credentials, registers an API with a scope, a service
// client for it, a web client with a redirect URI and a user; then the
// service client gets a token for the API and the web client signs the
// user in (code flow with PKCE), on the running server, with no change to
// its configuration and no restart.
func TestEndToEnd(t *testing.T) {
	s := startServer(t)
	c := s.sdk(t)
	ctx := context.Background()
	const api, scope = "https://inventory.example.com", "read:inventory"

	if _, err := c.APIs.Create(ctx, registry.API{Identifier: api, Name: "Inventory",
		Scopes: []registry.Scope{{Name: scope, Description: "Read the inventory"}}}); err != nil {
		t.Fatal(err)
	}
	svc, err := c.Clients.Create(ctx, registry.Client{ClientID: "stock-service", Name: "Stock service",
		GrantTypes: []string{"client_credentials"}, Scopes: []string{scope}})
	if err != nil {
		t.Fatal(err)
	}
	web, err := c.Clients.Create(ctx, registry.Client{ClientID: "shop", Name: "Shop",
		GrantTypes: []string{"authorization_code", "refresh_token"}, RedirectURIs: []string{s.RedirectURI},
		Scopes: []string{"openid", "email", scope}, SkipConsent: true})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Value.ClientSecret == "" || web.Value.ClientSecret == "" {
		t.Fatal("a created confidential client's answer holds no generated secret")
	}
	user, err := c.Users.Create(ctx, registry.User{Username: "ada", Password: "analytical-engine-1843",
		Claims: map[string]any{"email": "ada@example.com", "email_verified": true}})
	if err != nil {
		t.Fatal(err)
	}

	g, err := guard.New(ctx, guard.Options{Issuer: s.URL, Audience: api})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()

	t.Run("service client", func(t *testing.T) {
		cc := clientcredentials.Config{ClientID: "stock-service", ClientSecret: svc.Value.ClientSecret,
			TokenURL: s.URL + "/token", Scopes: []string{scope}, EndpointParams: url.Values{"resource": {api}}}
		tok, err := cc.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		caller, err := g.Verify(ctx, tok.AccessToken)
		if err != nil {
			t.Fatalf("the service's token is not one for %s: %v", api, err)
		}
		if caller.ClientID() != "stock-service" || !slices.Contains(caller.Scopes(), scope) {
			t.Errorf("token of %s with scopes %v", caller.ClientID(), caller.Scopes())
		}
	})

	t.Run("web client signs the user in", func(t *testing.T) {
		conf := oauth2.Config{ClientID: "shop", ClientSecret: web.Value.ClientSecret, RedirectURL: s.RedirectURI,
			Scopes:   []string{"openid", "email", scope},
			Endpoint: oauth2.Endpoint{AuthURL: s.URL + "/authorize", TokenURL: s.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader}}
		verifier := oauth2.GenerateVerifier()
		authURL := conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("resource", api))
		back := authservertest.SignIn(t, s.URL, authURL, s.RedirectURI, "ada", "analytical-engine-1843")
		if back.Query().Get("state") != "state-1" || back.Query().Get("code") == "" {
			t.Fatalf("authorization response %s", back)
		}
		tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier),
			oauth2.SetAuthURLParam("resource", api))
		if err != nil {
			t.Fatal(err)
		}
		idToken, _ := tok.Extra("id_token").(string)
		claims := jwtClaims(t, idToken)
		if claims["sub"] != user.Value.ID || claims["aud"] != "shop" || claims["email"] != "ada@example.com" {
			t.Errorf("ID token claims %v, want sub %s for shop with the user's email", claims, user.Value.ID)
		}
		caller, err := g.Verify(ctx, tok.AccessToken)
		if err != nil {
			t.Fatalf("the web client's access token is not one for %s: %v", api, err)
		}
		if caller.Subject() != user.Value.ID {
			t.Errorf("access token of %s, want the user %s", caller.Subject(), user.Value.ID)
		}
	})

	t.Run("the changes are in the audit trail, naming the admin client", func(t *testing.T) {
		var changes int
		for e, err := range c.Audit.List(ctx, sdk.AuditFilter{ListOptions: sdk.ListOptions{Limit: 5}}) {
			if err != nil {
				t.Fatal(err)
			}
			if e.Detail["actor_client_id"] == s.AdminID {
				changes++
			}
		}
		if changes < 4 {
			t.Errorf("%d audit events name the admin client, want one per change (4)", changes)
		}
	})
}

// jwtClaims decodes a JWT's claims without checking it: the server issued
// it to this test over a direct connection.
func jwtClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a JWT", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
