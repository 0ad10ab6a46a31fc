package console_test

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/console"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/sdk"
)

// startLogin starts a console sign-in in b and returns the authorization
// URL it sends the browser to.
func (b *browser) startLogin(next string) *url.URL {
	b.t.Helper()
	path := "login"
	if next != "" {
		path += "?" + url.Values{"next": {next}}.Encode()
	}
	resp := b.first(path)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil || loc.Query().Get("state") == "" {
		b.t.Fatalf("login: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc
}

// A code the token endpoint refuses (unknown, or none at all) is the
// browser's bad request, a 400 that offers to start again; only a token
// endpoint that cannot be reached is a 502.
func TestConsoleCodeExchangeRefused(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ name, query string }{
		{"unknown code", "code=not-a-code"},
		{"no code", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := e.newBrowser(t)
			state := b.startLogin("").Query().Get("state")
			p := b.get("callback?" + tc.query + "&state=" + url.QueryEscape(state))
			if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Sign-in did not complete") || !strings.Contains(p.Body, `href="/console/login">Sign in</a>`) {
				t.Fatalf("%d\n%s", p.Status, p.Body)
			}
		})
	}
	t.Run("token endpoint unreachable", func(t *testing.T) {
		down := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("connection refused") })
		c, err := console.New(console.Config{Issuer: e.URL, Secret: e.Config.Secret, Transport: down})
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		c.ServeHTTP(w, httptest.NewRequest("GET", "/console/login", nil))
		loc, _ := url.Parse(w.Header().Get("Location"))
		r := httptest.NewRequest("GET", "/console/callback?code=x&state="+url.QueryEscape(loc.Query().Get("state")), nil)
		for _, ck := range w.Result().Cookies() {
			r.AddCookie(ck)
		}
		w = httptest.NewRecorder()
		c.ServeHTTP(w, r)
		if w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), "could not complete the sign-in") {
			t.Fatalf("%d\n%s", w.Code, w.Body.String())
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The page a sign-in returns to is a console page: next values that lead
// elsewhere (another site, another part of the server) return to the
// overview instead.
func TestConsoleReturnPaths(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ name, next, want string }{
		{"console page", "/console/apps?q=1", "/console/apps?q=1"},
		{"absolute URL", "https://evil.example/console/", "/console/"},
		{"scheme-relative", "//evil.example/console/", "/console/"},
		{"three slashes", "///evil.example/console/", "/console/"},
		{"backslash", "/console\\evil.example", "/console/"},
		{"backslash inside", "/console/\\evil.example", "/console/"},
		{"CR LF", "/console/\r\nLocation: https://evil.example", "/console/"},
		{"tab", "/console/\t/evil.example", "/console/"},
		{"dot segments", "/console/../logout", "/console/"},
		{"encoded dot segments", "/console/%2e%2e/logout", "/console/"},
		{"outside the console", "/logout", "/console/"},
		{"javascript", "javascript:alert(1)", "/console/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := e.newBrowser(t)
			login := b.get(b.startLogin(tc.next).String())
			form := url.Values{"username": {adminUser}, "password": {password}}
			for _, m := range hiddenInput.FindAllStringSubmatch(login.Body, -1) {
				form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
			}
			// Follow the sign-in until the callback answers.
			hc := *b.hc
			hc.CheckRedirect = func(_ *http.Request, via []*http.Request) error {
				if via[len(via)-1].URL.Path == "/console/callback" {
					return http.ErrUseLastResponse
				}
				return nil
			}
			resp, err := hc.PostForm(e.URL+"/login", form)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.Request.URL.Path != "/console/callback" || resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tc.want {
				t.Fatalf("next %q: %s answered %d to %q, want 303 to %q", tc.next, resp.Request.URL.Path, resp.StatusCode, resp.Header.Get("Location"), tc.want)
			}
		})
	}
}

// The management API itself refuses a viewer's change: the viewer's
// console session's own token, sent straight to the API (past the
// console's scope check), reads but cannot write.
func TestConsoleViewerTokenRefusedByAPI(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser(t)
	b.signIn(viewerUser)
	access, err := e.handler.AccessToken(b.sessionValue())
	if err != nil || access == "" {
		t.Fatalf("the viewer's session holds no token: %v", err)
	}
	hc := oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: access}))
	api, err := sdk.New(e.URL, hc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := api.Keys.List(ctx); err != nil {
		t.Fatalf("the viewer cannot read: %v", err)
	}
	for _, tc := range []struct {
		name  string
		write func() error
	}{
		{"rotate a key", func() error { _, err := api.Keys.Rotate(ctx, registry.KeyRotation{}); return err }},
		{"create a client", func() error {
			_, err := api.Clients.Create(ctx, registry.Client{ClientID: "viewer-made", GrantTypes: []string{"client_credentials"}})
			return err
		}},
		{"delete a client", func() error { return api.Clients.Delete(ctx, e.WebClientID, "") }},
		{"disable a user", func() error { _, err := api.Users.SetDisabled(ctx, e.userID(t, plainUser), true); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.write(); !sdk.IsForbidden(err) {
				t.Fatalf("the management API answered a viewer's write with %v, want 403", err)
			}
		})
	}
	if _, err := e.Store.GetClient(ctx, "viewer-made"); err == nil {
		t.Error("the viewer's client was created")
	}
}
