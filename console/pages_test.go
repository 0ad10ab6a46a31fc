package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/registry"
)

// userID is the subject of username.
func (e *env) userID(t testing.TB, username string) string {
	t.Helper()
	u, err := e.Store.GetUserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// grant signs username in to the test web app, which leaves a grant.
func (e *env) grant(t testing.TB, username string) {
	t.Helper()
	conf := oauth2.Config{ClientID: e.WebClientID, ClientSecret: e.WebClientSecret, RedirectURL: e.RedirectURI, Scopes: []string{"openid", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: e.URL + "/authorize", TokenURL: e.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader}}
	v := oauth2.GenerateVerifier()
	back := authservertest.SignIn(t, e.URL, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v)), e.RedirectURI, username, password)
	if _, err := conf.Exchange(context.Background(), back.Query().Get("code"), oauth2.VerifierOption(v)); err != nil {
		t.Fatal(err)
	}
}

// Every page renders for an administrator, with its title.
func TestPagesRender(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser(t)
	b.signIn(adminUser)
	nora := e.userID(t, plainUser)
	for _, tc := range []struct{ path, want string }{
		{"", "Tokens issued and API calls, last 24 hours"},
		{"apps", "Registered applications"},
		{"apps/new", "What kind of application is it?"},
		{"apps/new?kind=web", "https://app.example.com/callback"},
		{"apps/new?kind=service", "Service client"},
		{"apps/" + e.WebClientID, "Redirect URIs"},
		{"apis", "APIs and their scopes"},
		{"apis/new", "Create API"},
		{"api?" + url.Values{"id": {authservertest.API}}.Encode(), "read:users"},
		{"users", "New user"},
		{"users?q=nor", "matching “nor”"},
		{"users/" + nora, "Grants (live authorizations)"},
		{"keys", "Rotate key"},
		{"audit", "Events, newest first"},
		{"audit?type=login_succeeded&since=2020-01-02T03:04", "Events, newest first"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			p := b.get(tc.path)
			if p.Status != http.StatusOK || !strings.Contains(p.Body, tc.want) {
				t.Fatalf("GET %s: %d, want 200 with %q\n%s", tc.path, p.Status, tc.want, p.Body)
			}
		})
	}
}

// A missing resource or a bad filter is a page that says so, never a 5xx.
func TestPagesRefuseBadInput(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser(t)
	b.signIn(adminUser)
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"apps/nope", http.StatusNotFound, "Not found"},
		{"apps/nope/delete", http.StatusNotFound, "Not found"},
		{"users/nope", http.StatusNotFound, "Not found"},
		{"api?id=https://nope.example", http.StatusNotFound, "Not found"},
		{"audit?since=yesterday", http.StatusBadRequest, "Give a date and time"},
		{"apps?cursor=%25%25", http.StatusBadRequest, "Request refused"},
		{"nope", http.StatusNotFound, ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			p := b.get(tc.path)
			if p.Status != tc.status || !strings.Contains(p.Body, tc.want) {
				t.Fatalf("GET %s: %d, want %d with %q\n%s", tc.path, p.Status, tc.status, tc.want, p.Body)
			}
		})
	}
}

// secretShown finds the new secret on a page.
var secretShown = regexp.MustCompile(`<code class="secret" id="new-secret">([^<]+)</code>`)

// Each form makes its change and shows the result after a redirect; the
// new secret of a client is shown once.
func TestForms(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser(t)
	tok := csrf(t, b.signIn(adminUser))
	form := func(kv ...string) url.Values {
		v := url.Values{"csrf": {tok}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	mustSay := func(t *testing.T, p page, path string, want ...string) {
		t.Helper()
		if p.Status != http.StatusOK || p.URL.Path != "/console/"+path {
			t.Fatalf("landed at %s with %d, want 200 at /console/%s\n%s", p.URL, p.Status, path, p.Body)
		}
		for _, w := range want {
			if !strings.Contains(p.Body, w) {
				t.Errorf("the page does not say %q:\n%s", w, p.Body)
			}
		}
	}

	t.Run("create a web application", func(t *testing.T) {
		p := b.post("apps", form("kind", "web", "client_id", "shop", "client_name", "Shop",
			"redirect_uris", "https://shop.example.com/callback\n", "scopes", "openid profile"))
		mustSay(t, p, "apps/shop", "Application shop created.", "https://shop.example.com/callback", "client_secret_basic")
		m := secretShown.FindStringSubmatch(p.Body)
		if m == nil || len(m[1]) < 32 {
			t.Fatalf("the new secret is not shown:\n%s", p.Body)
		}
		if again := b.get("apps/shop"); strings.Contains(again.Body, m[1]) {
			t.Error("the secret is shown again on reload")
		}
		cl, err := e.Store.GetClient(context.Background(), "shop")
		if err != nil || cl.AuthMethod != "client_secret_basic" || strings.Join(cl.GrantTypes, " ") != "authorization_code refresh_token" {
			t.Errorf("stored client %+v, %v", cl, err)
		}
	})
	t.Run("create a single-page app", func(t *testing.T) {
		p := b.post("apps", form("kind", "spa", "client_id", "spa2", "redirect_uris", "https://spa.example.com/", "scopes", "openid"))
		mustSay(t, p, "apps/spa2", "Application spa2 created.")
		if secretShown.MatchString(p.Body) {
			t.Error("a public client was shown a secret")
		}
	})
	t.Run("create a service client", func(t *testing.T) {
		p := b.post("apps", form("kind", "service", "client_id", "batch", "scopes", "read:users"))
		mustSay(t, p, "apps/batch", "client_credentials")
	})
	t.Run("rotate a secret", func(t *testing.T) {
		p := b.post("apps/shop/secret", form())
		mustSay(t, p, "apps/shop", "The secret of shop was replaced")
		if !secretShown.MatchString(p.Body) {
			t.Error("the rotated secret is not shown")
		}
	})
	t.Run("delete an application", func(t *testing.T) {
		mustSay(t, b.get("apps/batch/delete"), "apps/batch/delete", "Delete the application batch?")
		mustSay(t, b.post("apps/batch/delete", form()), "apps", "Application batch deleted.")
		if _, err := e.Store.GetClient(context.Background(), "batch"); err == nil {
			t.Error("the client is still stored")
		}
	})
	const api = "https://orders.example.com"
	apiPath := "api?" + url.Values{"id": {api}}.Encode()
	t.Run("create an API", func(t *testing.T) {
		p := b.post("apis", form("identifier", api, "name", "Orders", "scopes", "read:orders see orders\nwrite:orders"))
		mustSay(t, p, "api", "API "+api+" created.", "see orders", "write:orders")
	})
	t.Run("edit scopes", func(t *testing.T) {
		p := b.post("api/scopes", form("id", api, "scopes", "read:orders read them all"))
		mustSay(t, p, "api", "Scopes of "+api+" saved.", "read them all")
		if strings.Contains(p.Body, "<td>write:orders</td>") {
			t.Error("the removed scope is still listed")
		}
	})
	t.Run("delete an API", func(t *testing.T) {
		mustSay(t, b.get("api/delete?"+url.Values{"id": {api}}.Encode()), "api/delete", "Delete the API "+api+"?")
		mustSay(t, b.post("api/delete", form("id", api)), "apis", "API "+api+" deleted.")
		if p := b.get(apiPath); p.Status != http.StatusNotFound {
			t.Errorf("the deleted API answers %d", p.Status)
		}
	})
	var zoeID string
	t.Run("create a user", func(t *testing.T) {
		p := b.post("users", form("username", "zoe", "password", "zoe-password-1", "name", "Zoe", "email", "zoe@example.com", "role", "viewer"))
		if !strings.Contains(p.Body, "User zoe created.") || !strings.Contains(p.Body, "zoe@example.com") {
			t.Fatalf("%d %s\n%s", p.Status, p.URL, p.Body)
		}
		zoeID = e.userID(t, "zoe")
		u, _ := e.Store.GetUserByUsername(context.Background(), "zoe")
		if strings.Join(u.Roles, ",") != registry.RoleViewer {
			t.Errorf("zoe's roles %v, want viewer", u.Roles)
		}
	})
	t.Run("reset a password", func(t *testing.T) {
		mustSay(t, b.post("users/"+zoeID+"/password", form("password", "a-new-password-2")), "users/"+zoeID, "Password reset.")
	})
	t.Run("disable and enable", func(t *testing.T) {
		mustSay(t, b.post("users/"+zoeID+"/disabled", form("disabled", "true")), "users/"+zoeID, "User disabled", "Enable user")
		mustSay(t, b.post("users/"+zoeID+"/disabled", form("disabled", "false")), "users/"+zoeID, "User enabled.", "Disable user")
	})
	t.Run("revoke a grant", func(t *testing.T) {
		e.grant(t, plainUser)
		nora := e.userID(t, plainUser)
		p := b.get("users/" + nora)
		m := regexp.MustCompile(`action="/console/grants/([^/"]+)/revoke"`).FindStringSubmatch(p.Body)
		if m == nil {
			t.Fatalf("no revoke button for nora's grant:\n%s", p.Body)
		}
		p = b.post("grants/"+m[1]+"/revoke", form("user", nora))
		mustSay(t, p, "users/"+nora, "Grant revoked")
		if strings.Contains(p.Body, "grants/"+m[1]+"/revoke") {
			t.Error("the revoked grant is still listed as live")
		}
	})
	t.Run("rotate a key", func(t *testing.T) {
		before := strings.Count(b.get("keys").Body, "<tr><td>")
		p := b.post("keys/rotate", form("alg", ""))
		mustSay(t, p, "keys", "New ES256 key")
		if after := strings.Count(p.Body, "<tr><td>"); after != before+1 {
			t.Errorf("%d keys listed after rotation, want %d", after, before+1)
		}
	})
	t.Run("changes are audited under the user", func(t *testing.T) {
		p := b.get("audit?" + url.Values{"sub": {e.userID(t, adminUser)}}.Encode())
		if !strings.Contains(p.Body, "config_changed") && !strings.Contains(p.Body, "client_created") {
			t.Errorf("the audit log shows no change by the administrator:\n%s", p.Body)
		}
	})
}

// A form the management API refuses is shown again with each problem next
// to its field, and nothing changes.
func TestFormErrors(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser(t)
	tok := csrf(t, b.signIn(adminUser))
	nora := e.userID(t, plainUser)
	for _, tc := range []struct {
		name, path string
		form       url.Values
		field      string
	}{
		{"app without a kind", "apps", url.Values{"client_id": {"x"}}, "kind"},
		{"web app with an http redirect", "apps", url.Values{"kind": {"web"}, "client_id": {"x"}, "redirect_uris": {"http://example.com/cb"}, "scopes": {"openid"}}, "redirect_uris"},
		{"app with an unknown scope", "apps", url.Values{"kind": {"service"}, "client_id": {"x"}, "scopes": {"nope:nope"}}, "scopes"},
		{"taken client ID", "apps", url.Values{"kind": {"service"}, "client_id": {e.ClientID}, "scopes": {"read:users"}}, ""},
		{"API with a bad identifier", "apis", url.Values{"identifier": {"not a uri"}, "scopes": {"a"}}, "identifier"},
		{"user with a short password", "users", url.Values{"username": {"sam"}, "password": {"short"}}, "password"},
		{"user with a taken name", "users", url.Values{"username": {plainUser}, "password": {"long-enough-1"}}, ""},
		{"short new password", "users/" + nora + "/password", url.Values{"password": {"short"}}, "password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("csrf", tok)
			p := b.post(tc.path, tc.form)
			if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `class="problems"`) {
				t.Fatalf("%d\n%s", p.Status, p.Body)
			}
			if tc.field != "" && !strings.Contains(p.Body, `id="e-`+tc.field+`"`) && !(tc.field == "kind" && strings.Contains(p.Body, `class="error"`)) {
				t.Errorf("no error next to the field %s:\n%s", tc.field, p.Body)
			}
			if strings.Contains(p.Body, "short") && strings.Contains(p.Body, `value="short"`) {
				t.Error("the refused password is sent back in the page")
			}
		})
	}
}

// A viewer sees every page without a form that changes anything, and a
// crafted POST (with a valid CSRF token) is refused before the API.
func TestViewerCannotChange(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser(t)
	tok := csrf(t, b.signIn(viewerUser))
	nora := e.userID(t, plainUser)
	e.grant(t, plainUser)
	for _, path := range []string{"", "apps", "apps/" + e.WebClientID, "apis", "api?id=" + url.QueryEscape(authservertest.API), "users", "users/" + nora, "keys", "audit"} {
		t.Run("GET "+path, func(t *testing.T) {
			p := b.get(path)
			if p.Status != http.StatusOK {
				t.Fatalf("%d\n%s", p.Status, p.Body)
			}
			for _, f := range regexp.MustCompile(`<form [^>]*method="post"[^>]*>`).FindAllString(p.Body, -1) {
				if !strings.Contains(f, `action="/console/logout"`) {
					t.Errorf("a viewer's page has a change form: %s", f)
				}
			}
			for _, w := range []string{"New application", "Rotate", "Delete", "Revoke", "New user", "New API", "End session"} {
				if strings.Contains(p.Body, ">"+w) {
					t.Errorf("a viewer's page offers %q", w)
				}
			}
		})
	}
	for _, tc := range []struct{ path string }{
		{"apps"}, {"apps/" + e.WebClientID + "/secret"}, {"apps/" + e.WebClientID + "/delete"}, {"apis"}, {"api/scopes"}, {"api/delete"},
		{"users"}, {"users/" + nora + "/password"}, {"users/" + nora + "/disabled"}, {"users/" + nora + "/sessions/x/end"}, {"grants/x/revoke"}, {"keys/rotate"},
	} {
		t.Run("POST "+tc.path, func(t *testing.T) {
			p := b.post(tc.path, url.Values{"csrf": {tok}, "kind": {"service"}, "client_id": {"viewer-made"}, "disabled": {"true"}})
			if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "You cannot change this") {
				t.Fatalf("%d\n%s", p.Status, p.Body)
			}
		})
	}
	for _, path := range []string{"apps/new", "apis/new", "apps/x/delete", "api/delete"} {
		t.Run("GET "+path, func(t *testing.T) {
			if p := b.get(path); p.Status != http.StatusForbidden {
				t.Fatalf("a viewer got the form %s: %d", path, p.Status)
			}
		})
	}
	if u, _ := e.Store.GetUserByUsername(context.Background(), plainUser); u.Disabled {
		t.Error("a viewer's POST disabled a user")
	}
}
