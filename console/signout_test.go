package console_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// noFollow is b's answer to a POST of form to path, its redirect not
// followed (the cookies it sets are kept).
func (b *browser) noFollow(path string, form url.Values) *http.Response {
	b.t.Helper()
	hc := *b.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.PostForm(b.url(path), form)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// cookie is the value of the console cookie name the browser holds, ""
// for none.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.e.Console)
	for _, c := range b.hc.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// Sign-out returns to the console's signed-out page, whichever the person
// chooses on the authorization server's page: it answers 200 itself and
// never starts a sign-in, though the single sign-on session may be alive
// and the console skips consent.
func TestLogoutSignedOutPage(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name   string
		choose func(t *testing.T, b *browser, confirm page) *http.Response
	}{
		{"stay signed in", func(t *testing.T, b *browser, confirm page) *http.Response {
			m := regexpStay.FindStringSubmatch(confirm.Body)
			if m == nil {
				t.Fatalf("no Stay signed in link:\n%s", confirm.Body)
			}
			return b.first(html.UnescapeString(m[1]))
		}},
		{"sign out", func(t *testing.T, b *browser, confirm page) *http.Response {
			form := url.Values{"confirm": {"yes"}}
			for _, m := range hiddenInput.FindAllStringSubmatch(confirm.Body, -1) {
				form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
			}
			resp := b.noFollow(e.URL+"/logout", form)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("confirming sign-out: %d", resp.StatusCode)
			}
			return b.first(resp.Header.Get("Location"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := e.newBrowser(t)
			confirm := b.post("logout", url.Values{"csrf": {csrf(t, b.signIn(adminUser))}})
			if confirm.URL.Path != "/logout" || !strings.Contains(confirm.Body, "Sign out?") {
				t.Fatalf("sign-out went to %s:\n%s", confirm.URL, confirm.Body)
			}
			resp := tc.choose(t, b, confirm)
			if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/console/signed-out" {
				t.Fatalf("after sign-out: %d at %s, Location %q; want 200 at /console/signed-out", resp.StatusCode, resp.Request.URL, resp.Header.Get("Location"))
			}
			p := b.get("signed-out")
			if p.Status != http.StatusOK || p.URL.Path != "/console/signed-out" || !strings.Contains(p.Body, `href="/console/login">Sign in again</a>`) {
				t.Fatalf("the signed-out page: %d at %s\n%s", p.Status, p.URL, p.Body)
			}
		})
	}
}

// regexpStay finds the logout page's "Stay signed in" link.
var regexpStay = regexp.MustCompile(`<a class="button secondary" href="([^"]+)">Stay signed in</a>`)

// A change's flash (which may carry a new client secret) lasts a minute,
// is shown only to the session that made the change, and leaves with the
// session at sign-out.
func TestPagesFlashBoundToSession(t *testing.T) {
	e := newEnv(t)
	const shown = "New ES256 key"
	rotate := func(b *browser, tok string) *http.Response {
		resp := b.noFollow("keys/rotate", url.Values{"csrf": {tok}})
		if resp.StatusCode != http.StatusSeeOther || b.cookie("portcullis_console_flash") == "" {
			t.Fatalf("rotate: %d, flash cookie %q", resp.StatusCode, b.cookie("portcullis_console_flash"))
		}
		return resp
	}
	t.Run("lifetime", func(t *testing.T) {
		b := e.newBrowser(t)
		resp := rotate(b, csrf(t, b.signIn(adminUser)))
		if sc := strings.Join(resp.Header.Values("Set-Cookie"), "\n"); !strings.Contains(sc, "portcullis_console_flash=") || !strings.Contains(sc, "Max-Age=60;") {
			t.Errorf("the flash cookie does not last a minute: %s", sc)
		}
	})
	t.Run("another session", func(t *testing.T) {
		a, other := e.newBrowser(t), e.newBrowser(t)
		rotate(a, csrf(t, a.signIn(adminUser)))
		other.signIn(adminUser)
		u, _ := url.Parse(e.Console)
		other.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "portcullis_console_flash", Value: a.cookie("portcullis_console_flash"), Path: "/console/"}})
		if p := other.get("keys"); p.Status != http.StatusOK || strings.Contains(p.Body, shown) {
			t.Errorf("another session's flash was shown: %d\n%s", p.Status, p.Body)
		}
		if p := a.get("keys"); !strings.Contains(p.Body, shown) {
			t.Errorf("the session's own flash was not shown:\n%s", p.Body)
		}
	})
	t.Run("logout clears it", func(t *testing.T) {
		b := e.newBrowser(t)
		tok := csrf(t, b.signIn(adminUser))
		rotate(b, tok)
		resp := b.noFollow("logout", url.Values{"csrf": {tok}})
		if resp.StatusCode != http.StatusSeeOther || b.cookie("portcullis_console_flash") != "" {
			t.Errorf("after sign-out: %d, flash cookie %q", resp.StatusCode, b.cookie("portcullis_console_flash"))
		}
	})
}
