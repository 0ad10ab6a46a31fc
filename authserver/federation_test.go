package authserver_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/connectors/oidc"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// hostJar keeps the cookies of each host:port apart, as browsers do for
// different host names: the two test servers share 127.0.0.1, and their
// cookies of one name would otherwise overwrite each other.
type hostJar struct {
	mu   sync.Mutex
	jars map[string]http.CookieJar
}

func (h *hostJar) jar(u *url.URL) http.CookieJar {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.jars == nil {
		h.jars = map[string]http.CookieJar{}
	}
	j, ok := h.jars[u.Host]
	if !ok {
		j, _ = cookiejar.New(nil)
		h.jars[u.Host] = j
	}
	return j
}

func (h *hostJar) SetCookies(u *url.URL, cs []*http.Cookie) { h.jar(u).SetCookies(u, cs) }
func (h *hostJar) Cookies(u *url.URL) []*http.Cookie        { return h.jar(u).Cookies(u) }

// federation is a Portcullis (down) whose connector "up" is a second
// Portcullis (up), which has a client for it.
type federation struct {
	down, up *authservertest.Server
}

// newFederation starts both; rules are the connector's, configure changes
// down's configuration further.
func newFederation(t *testing.T, rules users.FederationRules, configure ...func(*authserver.Config)) *federation {
	t.Helper()
	return newFederationUp(t, rules, nil, configure...)
}

// newFederationUp is newFederation with up's configuration changed by
// upConfigure.
func newFederationUp(t *testing.T, rules users.FederationRules, upConfigure func(*authserver.Config), configure ...func(*authserver.Config)) *federation {
	t.Helper()
	// Late runs configure when down starts, after the upstream is known.
	var withConnector func(*authserver.Config)
	first := func(c *authserver.Config) { withConnector(c) }
	downURL, startDown := authservertest.Late(t, append([]func(*authserver.Config){first}, configure...)...)
	secret, hash := authserver.NewSecret()
	up := authservertest.New(t, func(c *authserver.Config) {
		c.Clients = append(c.Clients, store.Client{
			ID: "downstream", SecretHash: hash, AuthMethod: store.AuthSecretBasic, GrantTypes: []string{"authorization_code"},
			RedirectURIs: []string{downURL + "/login/callback"}, Scopes: []string{"openid", "profile", "email"}, SkipConsent: true,
		})
		if upConfigure != nil {
			upConfigure(c)
		}
	})
	conn, err := oidc.New(oidc.Config{Issuer: up.Config.Issuer, ClientID: "downstream", ClientSecret: secret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	withConnector = func(c *authserver.Config) {
		c.Connectors = append(c.Connectors, authserver.Connector{ID: "up", Name: "Upstream", Redirect: conn, Rules: rules})
	}
	return &federation{down: startDown(), up: up}
}

// fedBrowser is a browser with cookies per host:port.
func fedBrowser(t *testing.T, as *authservertest.Server) *browser {
	b := newBrowser(t, as)
	b.c.Jar = &hostJar{}
	return b
}

// continueWith posts the login page's button of connector.
func (b *browser) continueWith(p page, connector string) page {
	b.t.Helper()
	if !strings.Contains(p.body, `value="`+connector+`"`) {
		b.t.Fatalf("no button for %s on (%d): %s", connector, p.status, p.body)
	}
	form := authservertest.HiddenFields(p.body)
	form.Set("connector", connector)
	return b.post(b.as.URL+"/login/connector", form)
}

// upstreamLogin signs in at the upstream's login page p (the browser
// followed the redirect to it) and follows back to down.
func (f *federation) upstreamLogin(b *browser, p page) page {
	b.t.Helper()
	if p.status != http.StatusOK || !strings.Contains(p.body, `name="password"`) {
		b.t.Fatalf("want the upstream's login page, got %d: %s", p.status, p.body)
	}
	form := authservertest.HiddenFields(p.body)
	form.Set("username", f.up.Username)
	form.Set("password", f.up.Password)
	return b.post(f.up.URL+"/login", form)
}

// signInUpstream runs the web client's flow at down through the upstream
// and returns the last page (the redirect to the app on success).
func (f *federation) signInUpstream(b *browser, fl *flow) page {
	b.t.Helper()
	p := b.get(fl.authURL())
	return f.upstreamLogin(b, b.continueWith(p, "up"))
}

// idClaims redeems the code of a response and returns the ID token's
// claims.
func idClaims(t *testing.T, as *authservertest.Server, fl *flow, p page) map[string]any {
	t.Helper()
	return idClaimsAt(t, as, fl, p.location(t))
}

// idClaimsAt redeems the code of the authorization response u and
// returns the ID token's claims.
func idClaimsAt(t *testing.T, as *authservertest.Server, fl *flow, u *url.URL) map[string]any {
	t.Helper()
	tok, err := fl.exchange(fl.code(t, as, u))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	parsed, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		t.Fatalf("id_token: %v", err)
	}
	var claims map[string]any
	if err := parsed.UnsafeClaimsWithoutVerification(&claims); err != nil {
		t.Fatal(err)
	}
	return claims
}
