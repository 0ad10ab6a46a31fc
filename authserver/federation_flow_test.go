package authserver_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/requestid"
	"github.com/portcullis/portcullis/users"
)

// TestFederatedSignIn: through the login page's button to a second
// Portcullis and back, the app gets a code whose ID token names a new
// Portcullis user (never the upstream's subject) with amr ["fed"]; a
// second sign-in reuses that user.
func TestFederatedSignIn(t *testing.T) {
	f := newFederation(t, users.FederationRules{CreateUsers: true})
	upSub := upstreamSubject(t, f)
	var first string
	for i := range 2 {
		b := fedBrowser(t, f.down)
		fl := webFlow(f.down, "openid", "email")
		claims := idClaims(t, f.down, fl, f.signInUpstream(b, fl))
		sub, _ := claims["sub"].(string)
		if sub == "" || sub == upSub {
			t.Fatalf("sub %q: want a Portcullis subject, not the upstream's %q", sub, upSub)
		}
		if amr, _ := claims["amr"].([]any); len(amr) != 1 || amr[0] != "fed" {
			t.Errorf("amr = %v, want [fed]", claims["amr"])
		}
		if i == 0 {
			first = sub
		} else if sub != first {
			t.Errorf("second sign-in: sub %q, want the first's %q", sub, first)
		}
	}
	l, err := f.down.Store.GetLink(context.Background(), "up", upSub)
	if err != nil || l.UserID != first {
		t.Fatalf("link = %+v, %v", l, err)
	}
}

// upstreamSubject is the upstream's subject of its test user.
func upstreamSubject(t *testing.T, f *federation) string {
	u, err := f.up.Store.GetUserByUsername(context.Background(), f.up.Username)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// TestFederatedNoAccount: with just-in-time provisioning off, an unknown
// identity gets the "no account" page and no user.
func TestFederatedNoAccount(t *testing.T) {
	f := newFederation(t, users.FederationRules{})
	b := fedBrowser(t, f.down)
	p := f.signInUpstream(b, webFlow(f.down, "openid"))
	if p.status != http.StatusForbidden || !strings.Contains(p.body, "No account") {
		t.Fatalf("got %d: %s", p.status, p.body)
	}
	if _, err := f.down.Store.GetLink(context.Background(), "up", upstreamSubject(t, f)); err == nil {
		t.Fatal("a link was made")
	}
}

// TestFederatedCallbackFaults: the callback refuses, with a 4xx page and
// never a 5xx, a replayed answer, one without its cookie, one with another
// state, a garbled cookie, missing parameters and an upstream error.
func TestFederatedCallbackFaults(t *testing.T) {
	f := newFederation(t, users.FederationRules{CreateUsers: true})
	// startAt runs a sign-in up to the upstream's redirect back, which it
	// returns unfollowed.
	startAt := func(t *testing.T) (*browser, *url.URL) {
		b := fedBrowser(t, f.down)
		up := b.continueWith(b.get(webFlow(f.down, "openid").authURL()), "up")
		form := hiddenLogin(up.body, f.up.Username, f.up.Password)
		b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		p := b.post(f.up.URL+"/login", form)
		return b, p.location(t)
	}
	t.Run("replayed state", func(t *testing.T) {
		b, cb := startAt(t)
		jarCopy := b.c.Jar.Cookies(cb)
		p := b.get(cb.String())
		if p.status != http.StatusSeeOther {
			t.Fatalf("first callback: %d %s", p.status, p.body)
		}
		// The same answer again, with the cookie put back.
		b.c.Jar.SetCookies(cb, jarCopy)
		if p := b.get(cb.String()); p.status != http.StatusBadRequest {
			t.Fatalf("replay: %d %s", p.status, p.body)
		}
	})
	t.Run("without the cookie", func(t *testing.T) {
		_, cb := startAt(t)
		if p := fedBrowser(t, f.down).get(cb.String()); p.status != http.StatusBadRequest {
			t.Fatalf("%d %s", p.status, p.body)
		}
	})
	cases := []struct {
		name  string
		query func(q url.Values)
	}{
		{"wrong state", func(q url.Values) { q.Set("state", "x"+q.Get("state")) }},
		{"no state", func(q url.Values) { q.Del("state") }},
		{"no code", func(q url.Values) { q.Del("code") }},
		{"upstream error", func(q url.Values) { q.Del("code"); q.Set("error", "server_error") }},
		{"wrong iss", func(q url.Values) { q.Set("iss", "https://evil.example") }},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			b, cb := startAt(t)
			q := cb.Query()
			tt.query(q)
			cb.RawQuery = q.Encode()
			if p := b.get(cb.String()); p.status != http.StatusBadRequest {
				t.Fatalf("%d %s", p.status, p.body)
			}
		})
	}
	t.Run("garbled cookie", func(t *testing.T) {
		b, cb := startAt(t)
		b.c.Jar.SetCookies(cb, []*http.Cookie{{Name: "portcullis_upstream", Value: "garbage!", Path: "/"}})
		if p := b.get(cb.String()); p.status != http.StatusBadRequest {
			t.Fatalf("%d %s", p.status, p.body)
		}
	})
	t.Run("bad posts to /login/connector", func(t *testing.T) {
		b := fedBrowser(t, f.down)
		p := b.get(webFlow(f.down, "openid").authURL())
		form := hiddenLogin(p.body, "", "")
		for name, change := range map[string]func(url.Values){
			"unknown connector": func(v url.Values) { v.Set("connector", "nope") },
			"no csrf":           func(v url.Values) { v.Set("connector", "up"); v.Del("csrf") },
			"no request":        func(v url.Values) { v.Set("connector", "up"); v.Del("request") },
		} {
			v := url.Values{}
			for k, x := range form {
				v[k] = x
			}
			change(v)
			if p := b.post(f.down.URL+"/login/connector", v); p.status < 400 || p.status >= 500 {
				t.Errorf("%s: %d", name, p.status)
			}
		}
	})
}

// hiddenLogin is the login form of a page, filled.
func hiddenLogin(body, username, password string) url.Values {
	form := url.Values{}
	for k, v := range authservertest.HiddenFields(body) {
		form[k] = v
	}
	form.Del("connector")
	form.Set("username", username)
	form.Set("password", password)
	return form
}

// TestFederatedUpstreamDown: an upstream that cannot be reached gives a
// 502 page with the request ID, and password sign-in still works.
func TestFederatedUpstreamDown(t *testing.T) {
	f := newFederation(t, users.FederationRules{CreateUsers: true})
	f.up.Close()
	b := fedBrowser(t, f.down)
	p := b.continueWith(b.get(webFlow(f.down, "openid").authURL()), "up")
	id := p.header.Get(requestid.Header)
	if p.status != http.StatusBadGateway || id == "" || !strings.Contains(p.body, id) || !strings.Contains(p.body, "Upstream") {
		t.Fatalf("got %d (request ID %q): %s", p.status, id, p.body)
	}
	b = newBrowser(t, f.down)
	fl := webFlow(f.down, "openid")
	if _, err := fl.exchange(b.signIn(fl)); err != nil {
		t.Fatalf("password sign-in with the upstream down: %v", err)
	}
}

// TestFederatedChoice: clients' connectors restrict the buttons; the
// connector parameter skips the choice; an unknown one is invalid_request.
func TestFederatedChoice(t *testing.T) {
	other := directoryConnector(t, false)
	f := newFederation(t, users.FederationRules{CreateUsers: true}, func(c *authserver.Config) {
		c.Connectors = append(c.Connectors, authserver.Connector{ID: "dir", Name: "Directory", Password: other})
		for i := range c.Clients {
			if c.Clients[i].ID == "spa" {
				c.Clients[i].Connectors = []string{"dir"}
			}
		}
	})
	b := fedBrowser(t, f.down)
	web := b.get(webFlow(f.down, "openid").authURL())
	if !strings.Contains(web.body, "Continue with Upstream") || !strings.Contains(web.body, "Continue with Directory") || !strings.Contains(web.body, `name="password"`) {
		t.Errorf("web app's login page lacks a way: %s", web.body)
	}
	spa := b.get(newFlow(f.down, f.down.SPAClientID, "", "openid").authURL())
	if strings.Contains(spa.body, "Continue with Upstream") || !strings.Contains(spa.body, "Continue with Directory") {
		t.Errorf("spa's login page: %s", spa.body)
	}
	// connector=up goes straight to the upstream's login page.
	fl := webFlow(f.down, "openid")
	p := b.get(fl.authURL(oauth2.SetAuthURLParam("connector", "up")))
	if !strings.HasPrefix(p.header.Get("Content-Security-Policy"), "default-src") || !strings.Contains(p.body, `name="password"`) || strings.Contains(p.body, "Continue with") {
		t.Fatalf("connector=up: want the upstream's login page, got %d: %s", p.status, p.body)
	}
	if claims := idClaims(t, f.down, fl, f.upstreamLogin(b, p)); claims["sub"] == "" {
		t.Fatal("no sub")
	}
	// connector=dir shows only the directory's form.
	p = b.get(webFlow(f.down, "openid", "email").authURL(oauth2.SetAuthURLParam("connector", "dir"), oauth2.SetAuthURLParam("prompt", "login")))
	if !strings.Contains(p.body, `name="connector" value="dir"`) || strings.Contains(p.body, "Continue with") {
		t.Fatalf("connector=dir: %d %s", p.status, p.body)
	}
	// Unknown, or not offered to the client: invalid_request.
	for _, id := range []string{"nope", "up"} {
		fl := newFlow(f.down, f.down.SPAClientID, "", "openid")
		p := b.get(fl.authURL(oauth2.SetAuthURLParam("connector", id)))
		if q := p.location(t).Query(); q.Get("error") != "invalid_request" {
			t.Errorf("connector=%s for spa: %v", id, q)
		}
	}
}

// TestFederatedSessionLimitedByClient: a session that signed in through
// the connector "up" does not carry over to a client that offers only
// "dir": its /authorize shows the login page with the client's choices
// and issues no code, and prompt=none answers login_required.
func TestFederatedSessionLimitedByClient(t *testing.T) {
	f := newFederation(t, users.FederationRules{CreateUsers: true}, func(c *authserver.Config) {
		c.Connectors = append(c.Connectors, authserver.Connector{ID: "dir", Name: "Directory", Password: directoryConnector(t, false)})
		for i := range c.Clients {
			if c.Clients[i].ID == "spa" {
				c.Clients[i].Connectors = []string{"dir"}
			}
		}
	})
	b := fedBrowser(t, f.down)
	fl := webFlow(f.down, "openid")
	if claims := idClaims(t, f.down, fl, f.signInUpstream(b, fl)); claims["sub"] == "" {
		t.Fatal("no sub")
	}
	spa := newFlow(f.down, f.down.SPAClientID, "", "openid")
	p := b.get(spa.authURL())
	if p.status != http.StatusOK || !strings.Contains(p.body, "Continue with Directory") || strings.Contains(p.body, "Continue with Upstream") {
		t.Fatalf("spa after a sign-in through up: want its login page, got %d: %s", p.status, p.body)
	}
	p = b.get(newFlow(f.down, f.down.SPAClientID, "", "openid").authURL(oauth2.SetAuthURLParam("prompt", "none")))
	if q := p.location(t).Query(); q.Get("error") != "login_required" || q.Get("code") != "" {
		t.Fatalf("prompt=none: %v", q)
	}
	// The web client, which offers every connector, still signs in silently.
	web := webFlow(f.down, "openid")
	if q := b.get(web.authURL()).location(t).Query(); q.Get("code") == "" {
		t.Fatalf("web client after the sign-in: %v", q)
	}
}

// TestFederatedUpstreamCancelled: the upstream's access_denied (the
// person cancelled there) sends the app access_denied with the request's
// state, recorded at info level, not as a refused answer.
func TestFederatedUpstreamCancelled(t *testing.T) {
	f := newFederation(t, users.FederationRules{CreateUsers: true})
	b := fedBrowser(t, f.down)
	fl := webFlow(f.down, "openid")
	up := b.continueWith(b.get(fl.authURL()), "up")
	form := hiddenLogin(up.body, f.up.Username, f.up.Password)
	b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cb := b.post(f.up.URL+"/login", form).location(t)
	q := cb.Query()
	q.Del("code")
	q.Set("error", "access_denied")
	cb.RawQuery = q.Encode()
	p := b.get(cb.String())
	got := p.location(t)
	if got.Query().Get("error") != "access_denied" || got.Query().Get("state") != fl.state || !strings.HasPrefix(got.String(), f.down.RedirectURI) {
		t.Fatalf("got %d to %v, want access_denied at the app", p.status, got)
	}
}

// TestFederatedConsentLimitedByClient: a consent form posted after the
// browser's session was replaced by one through a connector the client
// does not offer asks for a new sign-in and issues no code.
func TestFederatedConsentLimitedByClient(t *testing.T) {
	f := newFederation(t, users.FederationRules{CreateUsers: true}, withDirectory(t, false), func(c *authserver.Config) {
		for i := range c.Clients {
			if c.Clients[i].ID == "spa" {
				c.Clients[i].Connectors = []string{"dir"}
			}
		}
	})
	b := fedBrowser(t, f.down)
	spa := newFlow(f.down, f.down.SPAClientID, "", "openid", "profile")
	consent := directoryForm(t, b, b.get(spa.authURL()), "carol", carolPW)
	if !strings.Contains(consent.body, `name="decision"`) {
		t.Fatalf("want spa's consent page, got %d: %s", consent.status, consent.body)
	}
	fl := webFlow(f.down, "openid")
	up := b.continueWith(b.get(fl.authURL(oauth2.SetAuthURLParam("prompt", "login"))), "up")
	if claims := idClaims(t, f.down, fl, f.upstreamLogin(b, up)); claims["sub"] == "" {
		t.Fatal("no sub")
	}
	p := b.consent(consent, "allow")
	if p.status != http.StatusOK || !strings.Contains(p.body, "Please sign in again.") {
		t.Fatalf("consent with a session through up: got %d: %s", p.status, p.body)
	}
}
