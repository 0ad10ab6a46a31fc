package authserver_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// withAdminAPI serves the management API's scopes, as the configuration
// does for every deployment, and lets the test clients ask for them.
func withAdminAPI(c *authserver.Config) {
	c.APIs = append(c.APIs, authserver.API{Identifier: registry.AdminAudience(c.Issuer), Name: "Management", Scopes: registry.AdminScopes})
	for i := range c.Clients {
		c.Clients[i].Scopes = append(c.Clients[i].Scopes, registry.AdminScopes...)
	}
	c.DefaultAudience = store.AudienceAll
}

// roleUser stores a user with roles and returns their password.
func roleUser(t *testing.T, as *authservertest.Server, username string, roles ...string) string {
	t.Helper()
	pw := "password-of-" + username
	if _, err := users.Create(context.Background(), as.Store, username, pw, nil, roles, time.Now()); err != nil {
		t.Fatal(err)
	}
	return pw
}

// setRoles replaces username's roles in the store.
func setRoles(t *testing.T, as *authservertest.Server, username string, roles ...string) {
	t.Helper()
	u, err := as.Store.GetUserByUsername(context.Background(), username)
	if err == nil {
		err = as.Store.UpdateUser(context.Background(), u.ID, func(u *store.User) error { u.Roles = roles; return nil })
	}
	if err != nil {
		t.Fatal(err)
	}
}

// tokenScopes is the scope of a token response and of its access token,
// which must agree.
func tokenScopes(t *testing.T, as *authservertest.Server, tok *oauth2.Token) []string {
	t.Helper()
	resp, _ := tok.Extra("scope").(string)
	claim := verify(t, as.URL, tok.AccessToken).Scope
	if resp != claim {
		t.Fatalf("the response's scope %q differs from the access token's %q", resp, claim)
	}
	return strings.Fields(resp)
}

// TestRolesBoundUserTokens: a token for a user carries management API
// scopes only as far as the user's roles allow, at the code exchange and
// at every refresh; the rest of the token is what was asked for.
func TestRolesBoundUserTokens(t *testing.T) {
	as := authservertest.New(t, withAdminAPI)
	asked := []string{"openid", "offline_access", "list:users", registry.ScopeClientsRead, registry.ScopeClientsWrite, registry.ScopeKeysWrite}
	for _, tc := range []struct {
		name  string
		roles []string
		want  []string
	}{
		{"admin", []string{registry.RoleAdmin}, asked},
		{"viewer", []string{registry.RoleViewer}, []string{"openid", "offline_access", "list:users", registry.ScopeClientsRead}},
		{"admin and viewer", []string{registry.RoleViewer, registry.RoleAdmin}, asked},
		{"no role", nil, []string{"openid", "offline_access", "list:users"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			username := strings.ReplaceAll(tc.name, " ", "-")
			pw := roleUser(t, as, username, tc.roles...)
			f := webFlow(as, asked...)
			b := newBrowser(t, as)
			code := f.code(t, as, b.login(b.get(f.authURL()), username, pw).location(t))
			tok, err := f.exchange(code)
			if err != nil {
				t.Fatal(err)
			}
			if got := tokenScopes(t, as, tok); !slices.Equal(got, tc.want) {
				t.Fatalf("scopes %q, want %q", got, tc.want)
			}
			if _, ok := tok.Extra("id_token").(string); !ok || tok.RefreshToken == "" {
				t.Fatalf("the rest of the response is missing: %+v", tok)
			}
		})
	}
}

// TestRoleRemovedNarrowsRefresh: the user is read again at each refresh,
// so a role taken away narrows the next access token, and the refresh
// token that follows, for good.
func TestRoleRemovedNarrowsRefresh(t *testing.T) {
	as := authservertest.New(t, withAdminAPI)
	pw := roleUser(t, as, "ops", registry.RoleAdmin)
	f := webFlow(as, "openid", "offline_access", registry.ScopeClientsRead, registry.ScopeClientsWrite)
	b := newBrowser(t, as)
	tok, err := f.exchange(f.code(t, as, b.login(b.get(f.authURL()), "ops", pw).location(t)))
	if err != nil {
		t.Fatal(err)
	}
	if got := tokenScopes(t, as, tok); !slices.Contains(got, registry.ScopeClientsWrite) {
		t.Fatalf("the admin's token lacks %s: %q", registry.ScopeClientsWrite, got)
	}
	refresh := func(scope string) (int, map[string]any) {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}
		if scope != "" {
			form.Set("scope", scope)
		}
		status, body := postForm(t, as.URL+"/token", form, basic(as.WebClientID, as.WebClientSecret))
		if rt, ok := body["refresh_token"].(string); ok {
			tok.RefreshToken = rt
		}
		return status, body
	}
	for _, step := range []struct {
		name  string
		roles []string
		scope string // of the refresh request
		want  string // the new token's scope; empty for invalid_scope
	}{
		{"still admin", []string{registry.RoleAdmin}, "", "openid offline_access admin:clients:read admin:clients:write"},
		{"viewer now", []string{registry.RoleViewer}, "", "openid offline_access admin:clients:read"},
		{"a viewer asks for a write scope", []string{registry.RoleViewer}, "openid admin:clients:write", ""},
		{"admin again: the grant stays narrowed", []string{registry.RoleAdmin}, "", "openid offline_access admin:clients:read"},
		{"no role", nil, "", "openid offline_access"},
	} {
		t.Run(step.name, func(t *testing.T) {
			setRoles(t, as, "ops", step.roles...)
			status, body := refresh(step.scope)
			if step.want == "" {
				if status != 400 || body["error"] != "invalid_scope" {
					t.Fatalf("%d %v, want invalid_scope", status, body)
				}
				return
			}
			at, _ := body["access_token"].(string)
			if status != 200 || body["scope"] != step.want || verify(t, as.URL, at).Scope != step.want {
				t.Fatalf("%d %v, want scope %q", status, body, step.want)
			}
		})
	}
}

// TestConsentListsOnlyGrantable: the consent page shows a viewer the read
// scope they will get and not the write scope they will not, and the
// code carries what the page showed.
func TestConsentListsOnlyGrantable(t *testing.T) {
	as := authservertest.New(t, withAdminAPI)
	pw := roleUser(t, as, "watcher", registry.RoleViewer)
	f := newFlow(as, as.SPAClientID, "", "openid", registry.ScopeUsersRead, registry.ScopeUsersWrite)
	f.conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	b := newBrowser(t, as)
	p := b.login(b.get(f.authURL()), "watcher", pw)
	if !strings.Contains(p.body, "<code>"+registry.ScopeUsersRead+"</code>") || strings.Contains(p.body, registry.ScopeUsersWrite) {
		t.Fatalf("consent page lists %s or not %s: %s", registry.ScopeUsersWrite, registry.ScopeUsersRead, p.body)
	}
	tok, err := f.exchange(f.code(t, as, b.consent(p, "allow").location(t)))
	if err != nil {
		t.Fatal(err)
	}
	if got := tokenScopes(t, as, tok); !slices.Equal(got, []string{"openid", registry.ScopeUsersRead}) {
		t.Fatalf("scopes %q", got)
	}
	// The consent covers what a viewer can get: the same request passes
	// without the page.
	f = newFlow(as, as.SPAClientID, "", "openid", registry.ScopeUsersRead, registry.ScopeUsersWrite)
	f.code(t, as, b.get(f.authURL(oauth2.SetAuthURLParam("prompt", "none"))).location(t))
}

// TestClientTokensIgnoreRoles: a client credentials token is the
// client's own and keeps its admin scopes, whatever any user's roles.
func TestClientTokensIgnoreRoles(t *testing.T) {
	as := authservertest.New(t, withAdminAPI)
	at := as.Token(t, registry.ScopeClientsWrite)
	if got := verify(t, as.URL, at).Scope; got != registry.ScopeClientsWrite {
		t.Fatalf("client credentials scope %v", got)
	}
}
