package authserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/authserver/internal/wire"
)

// browserCookie returns the browser's portcullis_browser cookie.
func (b *browser) browserCookie() string {
	b.t.Helper()
	for _, c := range b.c.Jar.Cookies(mustURL(b.t, b.as.URL)) {
		if c.Name == "portcullis_browser" {
			return c.Value
		}
	}
	b.t.Fatal("no browser cookie")
	return ""
}

// TestCSRFTokenIsKeyed: the forms' CSRF tokens are MACs keyed with the
// server secret. A token anyone can compute from the browser cookie (the
// unkeyed hash the server used before) and a token of another browser are
// refused, on the login and the logout forms; the genuine one works.
func TestCSRFTokenIsKeyed(t *testing.T) {
	as := authservertest.New(t)
	b := newBrowser(t, as)
	login := authservertest.HiddenFields(b.get(webFlow(as, "openid").authURL()).body)
	login.Set("username", as.Username)
	login.Set("password", as.Password)
	logout := authservertest.HiddenFields(b.get(as.URL + "/logout").body)
	logout.Set("confirm", "yes")
	other := newBrowser(t, as)
	otherLogout := authservertest.HiddenFields(other.get(as.URL + "/logout").body)
	cookie, request := b.browserCookie(), login.Get("request")

	with := func(form url.Values, csrf string) url.Values {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set("csrf", csrf)
		return f
	}
	tests := []struct {
		name string
		path string
		form url.Values
		want int
	}{
		{"login with the unkeyed hash of the cookie", "/login", with(login, wire.Digest("csrf\x00"+cookie+"\x00"+request)), http.StatusForbidden},
		{"login with the logout form's token", "/login", with(login, logout.Get("csrf")), http.StatusForbidden},
		{"logout with the unkeyed hash of the cookie", "/logout", with(logout, wire.Digest("csrf\x00"+cookie+"\x00logout")), http.StatusForbidden},
		{"logout with another browser's token", "/logout", with(logout, otherLogout.Get("csrf")), http.StatusForbidden},
		{"logout with the login form's token", "/logout", with(logout, login.Get("csrf")), http.StatusForbidden},
		{"genuine login", "/login", login, http.StatusSeeOther},
		{"genuine logout", "/logout", logout, http.StatusOK},
	}
	for _, tt := range tests {
		if got := b.post(as.URL+tt.path, tt.form); got.status != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got.status, tt.want)
		} else if tt.want == http.StatusOK && !strings.Contains(got.body, "You are signed out") {
			t.Errorf("%s: not signed out", tt.name)
		}
	}
}
