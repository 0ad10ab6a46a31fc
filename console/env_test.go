package console_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/console"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/users"
)

// The test users: an administrator, a viewer and a user without a
// console role, each with a password.
const (
	adminUser, viewerUser, plainUser = "ada", "val", "nora"
	password                         = "console-test-password"
)

// env is Portcullis as serve runs it with the console enabled: the
// authorization server of authservertest, the management API mounted at
// the issuer, and the console at /console/, signing in with the built-in
// client.
type env struct {
	*authservertest.Server
	// Console is the console's URL.
	Console string
	// handler is the console itself.
	handler *console.Console
	// skew moves the console's clock: tests set it to end sessions and
	// expire tokens.
	skew atomic.Int64
}

// newEnv starts an env and stops it when the test ends.
func newEnv(t testing.TB) *env {
	t.Helper()
	var cfg *config.Config
	var cfgErr error
	as := authservertest.New(t, func(c *authserver.Config) {
		// The file defines authservertest's API again, so that the
		// management API lists it, and the built-in management API.
		cfg, cfgErr = config.Parse([]byte(fmt.Sprintf(configYAML, c.Issuer, authservertest.API)), t.TempDir(), nil)
		if cfgErr == nil {
			c.APIs = cfg.AuthServer().APIs
		}
	})
	if cfgErr != nil {
		t.Fatal(cfgErr)
	}
	e := &env{Server: as, Console: as.URL + console.Path}
	ctx := context.Background()
	// The built-in client, stored since authservertest reads the server
	// secret from the store after its configuration is made; serve adds it
	// to the file's clients instead.
	if err := as.Store.CreateClient(ctx, console.Client(as.URL, as.Config.Secret)); err != nil {
		t.Fatal(err)
	}
	for name, roles := range map[string][]string{adminUser: {registry.RoleAdmin}, viewerUser: {registry.RoleViewer}, plainUser: nil} {
		if _, err := users.Create(ctx, as.Store, name, password, map[string]any{"name": "User " + name}, roles, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	g, err := guard.New(ctx, guard.Options{Issuer: as.URL, Audience: registry.AdminAudience(as.URL)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	a, err := admin.New(admin.Config{Issuer: as.URL, Store: as.Store, Rules: cfg, Guard: g,
		FileClients: as.Config.Clients, FileAPIs: cfg.APIs, AccessTokenTTL: cfg.AccessTokenTTL,
		KeyAlgorithms: cfg.Algorithms(), KeyRetention: cfg.KeyRetention(),
		Changed: func(ctx context.Context) { as.Instance.ReloadAPIs(ctx) }})
	if err != nil {
		t.Fatal(err)
	}
	as.Mount(admin.PathPrefix, a.Handler())
	c, err := console.New(console.Config{Issuer: as.URL, Secret: as.Config.Secret, Now: func() time.Time { return time.Now().Add(time.Duration(e.skew.Load())) }})
	if err != nil {
		t.Fatal(err)
	}
	as.Mount(console.Path, c)
	e.handler = c
	return e
}

// configYAML is the configuration file of the test server, given its
// issuer and API.
const configYAML = `issuer: %s
storage: sqlite://unused.db
allow_insecure_localhost: true
apis:
  - identifier: %s
    name: Test API
    scopes: [list:users, read:users, write:users]
`

// hiddenInput finds a form's hidden fields.
var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// browser is a person at a browser without JavaScript: a cookie jar, and
// redirects followed.
type browser struct {
	t  testing.TB
	hc *http.Client
	e  *env
}

// newBrowser returns a browser with no cookies.
func (e *env) newBrowser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, e: e, hc: &http.Client{Jar: jar}}
}

// page is an answer: its status, final URL and body.
type page struct {
	Status int
	URL    *url.URL
	Body   string
}

// get fetches path (under the console, or a full URL), following
// redirects.
func (b *browser) get(path string) page {
	b.t.Helper()
	resp, err := b.hc.Get(b.url(path))
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, resp)
}

// post sends form to path, following the redirect after it.
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	resp, err := b.hc.PostForm(b.url(path), form)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, resp)
}

func (b *browser) url(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return b.e.Console + strings.TrimPrefix(path, "/")
}

func read(t testing.TB, resp *http.Response) page {
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{Status: resp.StatusCode, URL: resp.Request.URL, Body: string(body)}
}

// signIn signs in to the console as username: the console sends the
// browser to the authorization server's login page, which sends it back
// to the callback, which lands on the overview.
func (b *browser) signIn(username string) page {
	b.t.Helper()
	p := b.get("")
	if !strings.Contains(p.Body, `name="password"`) {
		b.t.Fatalf("the console did not send the browser to the login page: %d %s\n%s", p.Status, p.URL, p.Body)
	}
	form := url.Values{"username": {username}, "password": {password}}
	for _, m := range hiddenInput.FindAllStringSubmatch(p.Body, -1) {
		form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return b.post(b.e.URL+"/login", form)
}

// csrf is the CSRF token in a console page.
func csrf(t testing.TB, p page) string {
	t.Helper()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no CSRF token in the page %s:\n%s", p.URL, p.Body)
	}
	return html.UnescapeString(m[1])
}

// signInRaw signs in with the browser's redirect policy, returning the
// last answer unread.
func (b *browser) signInRaw() *http.Response {
	b.t.Helper()
	p := b.get(b.e.Console + "login")
	form := url.Values{"username": {adminUser}, "password": {password}}
	for _, m := range hiddenInput.FindAllStringSubmatch(p.Body, -1) {
		form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	resp, err := b.hc.PostForm(b.e.URL+"/login", form)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// sessionValue is the session cookie the browser holds, "" for none.
func (b *browser) sessionValue() string {
	u, _ := url.Parse(b.e.Console)
	for _, c := range b.hc.Jar.Cookies(u) {
		if c.Name == "portcullis_console" {
			return c.Value
		}
	}
	return ""
}

// setSession replaces the session cookie's value with change(value).
func (b *browser) setSession(change func(string) string) {
	u, _ := url.Parse(b.e.Console)
	b.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "portcullis_console", Value: change(b.sessionValue()), Path: "/console/"}})
}

// flip changes one character in the middle of s.
func flip(s string) string {
	i := len(s) / 2
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

// first is the console's first answer to GET path, its redirect not
// followed.
func (b *browser) first(path string) *http.Response {
	b.t.Helper()
	hc := *b.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(b.url(path))
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}
