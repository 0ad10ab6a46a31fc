package authserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
)

// stopAtRedirects makes b stop at every redirect, to see where the flow
// sends the browser.
func stopAtRedirects(b *browser) *browser {
	b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return b
}

// enrolReturn checks that p sends the browser to the enrolment page and
// returns the resume path it names.
func enrolReturn(t *testing.T, as *authservertest.Server, p page) string {
	t.Helper()
	loc := p.header.Get("Location")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(loc, as.URL+"/account/enrol?") {
		t.Fatalf("want a redirect to the enrolment page, got %d to %q: %s", p.status, loc, p.body)
	}
	u, _ := url.Parse(loc)
	ret := u.Query().Get("return")
	if !strings.HasPrefix(ret, "/authorize/resume?request=") {
		t.Fatalf("enrolment returns to %q, want the resume route", ret)
	}
	return ret
}

// TestMFARequiredWithoutFactorEnrols: a request that needs a second
// factor (the client's require_mfa, the deployment's mfa.required, or
// acr_values=mfa, at /authorize or through PAR) from a user without one
// sends the browser, after the password, to the enrolment page, which
// returns to the resume route; resuming without a factor goes back there,
// and no code is issued.
func TestMFARequiredWithoutFactorEnrols(t *testing.T) {
	requireClient := func(c *authserver.Config) {
		for i := range c.Clients {
			c.Clients[i].RequireMFA = c.Clients[i].ID != "test-client"
		}
	}
	tests := []struct {
		name      string
		configure func(*authserver.Config)
		extra     []oauth2.AuthCodeOption
		pushed    bool
	}{
		{name: "client require_mfa", configure: requireClient},
		{name: "mfa.required", configure: func(c *authserver.Config) { c.MFA.Required = true }},
		{name: "acr_values=mfa", configure: func(*authserver.Config) {}, extra: []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("acr_values", "x-unknown mfa")}},
		{name: "acr_values=mfa pushed", configure: func(*authserver.Config) {}, pushed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := authservertest.New(t, tt.configure)
			b := stopAtRedirects(newBrowser(t, as))
			f := webFlow(as, "openid")
			authURL := f.authURL(tt.extra...)
			if tt.pushed {
				authURL = pushed(t, as, f, url.Values{"acr_values": {"mfa"}})
			}
			p := b.get(authURL)
			ret := enrolReturn(t, as, b.login(p, as.Username, as.Password))
			again := b.get(as.URL + ret)
			enrolReturn(t, as, again)
			// Another browser cannot resume this one's request.
			if other := stopAtRedirects(newBrowser(t, as)).get(as.URL + ret); other.status != http.StatusForbidden {
				t.Errorf("resume from another browser: %d, want 403", other.status)
			}
			if len(as.Callbacks()) != 0 {
				t.Errorf("the app got %v; no code may be issued without the factor", as.Callbacks())
			}
		})
	}
}

// pushed pushes f's request with extra parameters (RFC 9126) and returns
// the authorization URL that names it.
func pushed(t *testing.T, as *authservertest.Server, f *flow, extra url.Values) string {
	t.Helper()
	u, _ := url.Parse(f.authURL())
	form := u.Query()
	for k, v := range extra {
		form[k] = v
	}
	status, out := postForm(t, as.URL+"/par", form, basic(as.WebClientID, as.WebClientSecret))
	if status != http.StatusCreated {
		t.Fatalf("PAR: %d %v", status, out)
	}
	return as.URL + "/authorize?" + url.Values{"client_id": {as.WebClientID}, "request_uri": {out["request_uri"].(string)}}.Encode()
}

// TestACRValuesBounds: acr_values is voluntary, so unknown classes pass,
// but a request may list only so many, and only so long.
func TestACRValuesBounds(t *testing.T) {
	as := authservertest.New(t)
	tests := []struct {
		name, acr string
		refused   bool
	}{
		{name: "unknown only", acr: "urn:example:gold"},
		{name: "too many", acr: strings.Repeat("a ", 9), refused: true},
		{name: "too long", acr: strings.Repeat("a", 1025), refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBrowser(t, as)
			f := webFlow(as, "openid")
			p := b.get(f.authURL(oauth2.SetAuthURLParam("acr_values", tt.acr)))
			if !tt.refused {
				f.code(t, as, b.login(p, as.Username, as.Password).location(t))
				return
			}
			if q := p.location(t).Query(); q.Get("error") != "invalid_request" {
				t.Errorf("want invalid_request, got %v", q)
			}
		})
	}
}

// TestFactorFormsBadInput: the new forms answer bad input with a 4xx
// page, never a 5xx: an unknown or missing request, a wrong or missing
// CSRF token, a repeated request. Malformed fields behind a valid factor-page token need a
// factor to reach that page: they wait for package mfa.
func TestFactorFormsBadInput(t *testing.T) {
	as := authservertest.New(t, func(c *authserver.Config) { c.MFA.Required = true })
	b := stopAtRedirects(newBrowser(t, as))
	p := b.get(webFlow(as, "openid").authURL())
	login := authservertest.HiddenFields(p.body)
	enrolReturn(t, as, b.login(p, as.Username, as.Password))
	// A CSRF token of another form, for the same request.
	good := url.Values{"request": login["request"], "csrf": login["csrf"]}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range good {
			v[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name, path string
		form       url.Values
		status     int
	}{
		{name: "factor: no request", path: "/login/factor", form: url.Values{"method": {"totp"}, "code": {"123456"}}, status: 400},
		{name: "factor: unknown request", path: "/login/factor", form: with("request", "nope", "method", "totp", "code", "123456"), status: 400},
		{name: "factor: login form's csrf", path: "/login/factor", form: with("method", "totp", "code", "123456"), status: 403},
		{name: "factor: no csrf", path: "/login/factor", form: with("csrf", "", "method", "totp"), status: 403},
		{name: "factor: garbled csrf", path: "/login/factor", form: with("csrf", "%%%", "method", "totp"), status: 403},
		{name: "passkey: unknown request", path: "/login/passkey", form: with("request", "nope", "state", "x", "response", "{}"), status: 400},
		{name: "passkey: login form's csrf", path: "/login/passkey", form: with("state", "x", "response", "{}"), status: 403},
		{name: "resume: unknown request", path: "/authorize/resume?request=nope", status: 400},
		{name: "resume: no request", path: "/authorize/resume", status: 400},
		{name: "resume: two requests", path: "/authorize/resume?request=a&request=b", status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got page
			if tt.form == nil {
				got = b.get(as.URL + tt.path)
			} else {
				got = b.post(as.URL+tt.path, tt.form)
			}
			if got.status != tt.status {
				t.Errorf("%d, want %d: %s", got.status, tt.status, got.body)
			}
		})
	}
}

// TestRequireMFAClientOnly: require_mfa is the client's own; a client
// without it signs the same user in with the password alone.
func TestRequireMFAClientOnly(t *testing.T) {
	as := authservertest.New(t, func(c *authserver.Config) {
		for i := range c.Clients {
			if c.Clients[i].ID == "spa" {
				c.Clients[i].RequireMFA = true
			}
		}
	})
	b := newBrowser(t, as)
	b.signIn(webFlow(as, "openid"))
}
