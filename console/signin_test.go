package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Signing in lands each kind of user where their role takes them: the
// overview for an administrator and a viewer (who sees no change
// buttons), the no-access page for a user without a console role.
func TestSignIn(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, user string
		status     int
		want       []string
		not        []string
	}{
		{"admin", adminUser, http.StatusOK, []string{"Signed in as <strong>User ada</strong> (administrator)", "Overview", "Key lifecycle"}, nil},
		{"viewer", viewerUser, http.StatusOK, []string{"(viewer)", "Key lifecycle"}, nil},
		{"no role", plainUser, http.StatusForbidden, []string{"You have no access to the console"}, []string{"Key lifecycle"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.newBrowser(t).signIn(tc.user)
			if p.Status != tc.status || p.URL.String() != e.Console {
				t.Fatalf("after sign-in: %d at %s, want %d at %s\n%s", p.Status, p.URL, tc.status, e.Console, p.Body)
			}
			for _, w := range tc.want {
				if !strings.Contains(p.Body, w) {
					t.Errorf("the page does not say %q:\n%s", w, p.Body)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(p.Body, w) {
					t.Errorf("the page says %q", w)
				}
			}
		})
	}
}

// The session cookie is HttpOnly, SameSite=Lax, scoped to the console,
// and holds no token in the clear.
func TestSessionCookie(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser(t)
	b.signIn(adminUser)
	u, _ := url.Parse(e.Console)
	var found bool
	for _, c := range b.hc.Jar.Cookies(u) {
		if c.Name == "portcullis_console" {
			found = true
			if strings.Contains(c.Value, "eyJ") {
				t.Error("the session cookie holds a JWT in the clear")
			}
		}
	}
	if !found {
		t.Fatal("no session cookie")
	}
	// The jar hides the attributes: read them from a fresh sign-in's
	// callback answer.
	nb := e.newBrowser(t)
	nb.hc.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.Path, "/console/") && req.URL.Path != "/console/login" && req.URL.Path != "/console/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp := nb.signInRaw()
	var attrs string
	for _, sc := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "portcullis_console=") {
			attrs = sc
		}
	}
	for _, want := range []string{"Path=/console/", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(attrs, want) {
			t.Errorf("the session cookie %q lacks %s", attrs, want)
		}
	}
	if strings.Contains(attrs, "Secure") {
		t.Errorf("the session cookie of an http issuer is Secure: %q", attrs)
	}
}

// A damaged, forged or ended session sends the browser to sign in again
// (never a 5xx), and a form sent without one is refused.
func TestSessionRefused(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name   string
		damage func(b *browser)
	}{
		{"tampered", func(b *browser) { b.setSession(func(v string) string { return flip(v) }) }},
		{"forged", func(b *browser) {
			b.setSession(func(string) string { return "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" })
		}},
		{"not base64", func(b *browser) { b.setSession(func(string) string { return "%%%" }) }},
		{"too long", func(b *browser) { b.setSession(func(string) string { return strings.Repeat("A", 5000) }) }},
		{"ended", func(*browser) { e.skew.Store(int64(13 * time.Hour)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.skew.Store(0)
			b := e.newBrowser(t)
			b.signIn(adminUser)
			tc.damage(b)
			resp := b.first("apps?q=1")
			if want := "/console/login?next=%2Fconsole%2Fapps%3Fq%3D1"; resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
				t.Fatalf("a page with a %s session: %d to %q, want 303 to %s", tc.name, resp.StatusCode, resp.Header.Get("Location"), want)
			}
			if !strings.Contains(strings.Join(resp.Header.Values("Set-Cookie"), ";"), "portcullis_console=; Path=/console/; Max-Age=0") {
				t.Errorf("the %s session cookie was not cleared: %v", tc.name, resp.Header.Values("Set-Cookie"))
			}
		})
	}
	t.Run("form", func(t *testing.T) {
		e.skew.Store(0)
		b := e.newBrowser(t)
		p := b.post("keys/rotate", url.Values{"csrf": {"x"}})
		if p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, "Your session ended") {
			t.Fatalf("a form without a session: %d\n%s", p.Status, p.Body)
		}
	})
}

// An access token near its expiry is refreshed with the refresh token,
// and the page is served.
func TestSessionRefresh(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser(t)
	b.signIn(adminUser)
	before := b.sessionValue()
	e.skew.Store(int64(time.Hour)) // the access token (1h) has expired
	p := b.get("keys")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Signing keys") {
		t.Fatalf("after expiry: %d %s\n%s", p.Status, p.URL, p.Body)
	}
	if b.sessionValue() == before {
		t.Error("the session cookie was not rewritten with the new tokens")
	}
}

// Every form refuses a POST without the session's CSRF token, or with
// another session's.
func TestCSRFRefused(t *testing.T) {
	e := newEnv(t)
	b, other := e.newBrowser(t), e.newBrowser(t)
	b.signIn(adminUser)
	otherToken := csrf(t, other.signIn(adminUser))
	for _, path := range []string{"keys/rotate", "apps", "apis", "users", "logout", "apps/x/secret", "grants/x/revoke"} {
		for _, tc := range []struct{ name, token string }{{"none", ""}, {"another session's", otherToken}, {"garbage", "abc"}} {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				p := b.post(path, url.Values{"csrf": {tc.token}})
				if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "Request refused") {
					t.Fatalf("POST %s with %s CSRF token: %d\n%s", path, tc.name, p.Status, p.Body)
				}
			})
		}
	}
}

// Signing out revokes the refresh token and clears the cookie, then asks
// the authorization server to end its session.
func TestLogout(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser(t)
	tok := csrf(t, b.signIn(adminUser))
	p := b.post("logout", url.Values{"csrf": {tok}})
	if p.URL.Path != "/logout" || p.URL.Query().Get("client_id") != "portcullis-console" {
		t.Fatalf("sign-out went to %s", p.URL)
	}
	if b.sessionValue() != "" {
		t.Error("the session cookie is still set")
	}
	if p := b.get("keys"); !strings.Contains(p.Body, `name="password"`) && !strings.Contains(p.URL.Path, "/console/") {
		t.Errorf("after sign-out the console did not ask to sign in: %s", p.URL)
	}
}

// A callback that this browser did not start is refused with a page that
// offers to sign in.
func TestCallbackRefused(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ name, query string }{
		{"no login cookie", "code=abc&state=xyz"},
		{"error", "error=access_denied&state=xyz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.newBrowser(t).get("callback?" + tc.query)
			if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Sign-in did not complete") {
				t.Fatalf("%d\n%s", p.Status, p.Body)
			}
		})
	}
}
