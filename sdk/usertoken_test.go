package sdk_test

import (
	"context"
	"testing"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/sdk"
)

// A user's token works the management API too, as far as the user's
// console role allows: a web client allowed
// admin:users:read and admin:clients:write signs the demo user in (code
// flow with PKCE, the user consenting), and the SDK with that token reads
// users and creates a client, but may not create a user; the change is
// audited naming the user (actor_sub) and the web client
// (actor_client_id).
func TestUserTokenManages(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	scopes := []string{"openid", registry.ScopeUsersRead, registry.ScopeClientsWrite}
	web, err := s.sdk(t).Clients.Create(ctx, registry.Client{ClientID: "console", Name: "Console",
		GrantTypes: []string{"authorization_code"}, RedirectURIs: []string{s.RedirectURI}, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: "console", ClientSecret: web.Value.ClientSecret, RedirectURL: s.RedirectURI, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: s.URL + "/authorize", TokenURL: s.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader}}
	// Only a user with a console role gets management API scopes in a
	// token: the demo user is made an admin first.
	demo, err := s.Store.GetUserByUsername(ctx, s.Username)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.sdk(t).Users.Update(ctx, demo.ID, sdk.Patch{"roles": []string{registry.RoleAdmin}}, ""); err != nil {
		t.Fatal(err)
	}
	resource := oauth2.SetAuthURLParam("resource", registry.AdminAudience(s.URL))
	verifier := oauth2.GenerateVerifier()
	back := authservertest.SignIn(t, s.URL, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), resource), s.RedirectURI, s.Username, s.Password)
	tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier), resource)
	if err != nil {
		t.Fatal(err)
	}
	sub := jwtClaims(t, tok.Extra("id_token").(string))["sub"].(string)
	if granted, err := s.Store.GetConsent(ctx, sub, "console"); err != nil || len(granted) == 0 {
		t.Fatalf("the user's consent is not recorded: %v %v", granted, err)
	}

	c, err := sdk.New(s.URL, conf.Client(ctx, tok))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Users.Page(ctx, sdk.UserListOptions{}); err != nil {
		t.Fatalf("list users with the user's token: %v", err)
	}
	if _, err := c.Users.Create(ctx, registry.User{Username: "eve", Password: "a long enough password"}); !sdk.IsForbidden(err) {
		t.Fatalf("create a user without admin:users:write: %v; want 403", err)
	}
	if _, err := c.Clients.Create(ctx, registry.Client{ClientID: "made-by-a-user", GrantTypes: []string{"client_credentials"},
		Scopes: []string{"read:users"}}); err != nil {
		t.Fatalf("create a client with the user's token: %v", err)
	}

	var found bool
	for e, err := range s.sdk(t).Audit.List(ctx, sdk.AuditFilter{ClientID: "made-by-a-user", Type: "config_changed"}) {
		if err != nil {
			t.Fatal(err)
		}
		if e.Detail["actor_sub"] != sub || e.Detail["actor_client_id"] != "console" {
			t.Errorf("the change's audit event names %v and %v; want the user %s and the client console",
				e.Detail["actor_sub"], e.Detail["actor_client_id"], sub)
		}
		found = true
	}
	if !found {
		t.Fatal("the change made with the user's token is not in the audit trail")
	}
}
