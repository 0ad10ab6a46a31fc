package authserver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// TestCodeFlowInterop signs in through the pages, exchanges the code with
// golang.org/x/oauth2 and verifies the ID token with coreos/go-oidc, the
// libraries relying parties use.
func TestCodeFlowInterop(t *testing.T) {
	as := authservertest.New(t)
	ctx := context.Background()
	_, f, tok := signedIn(t, as, "openid", "profile", "email", "offline_access", "read:users")
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token for offline_access")
	}
	provider, err := oidc.NewProvider(ctx, as.URL)
	if err != nil {
		t.Fatalf("discovery through go-oidc: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: as.WebClientID}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token verification: %v", err)
	}
	if idt.Nonce != f.nonce {
		t.Fatalf("nonce = %q, want %q", idt.Nonce, f.nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Fatalf("at_hash: %v", err)
	}
	var claims struct {
		Sub, Name, Email, Azp string
		EmailVerified         bool     `json:"email_verified"`
		AuthTime              int64    `json:"auth_time"`
		AMR                   []string `json:"amr"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if claims.Sub == as.Username || claims.Name != "Demo User" || claims.Email != "demo@example.com" || !claims.EmailVerified ||
		claims.Azp != as.WebClientID || claims.AuthTime == 0 || len(claims.AMR) != 1 || claims.AMR[0] != "pwd" {
		t.Fatalf("ID token claims = %+v", claims)
	}
	if alg := strings.Split(raw, ".")[0]; !strings.Contains(decodeSegment(t, alg), `"RS256"`) {
		t.Fatalf("ID token header %s: want RS256 by default", decodeSegment(t, alg))
	}

	// UserInfo through go-oidc.
	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if ui.Subject != claims.Sub || ui.Email != "demo@example.com" {
		t.Fatalf("userinfo = %+v", ui)
	}

	// The access token is for the API whose scope was granted.
	at := verify(t, as.URL, tok.AccessToken)
	if at.Subject != claims.Sub || at.ClientID != as.WebClientID || len(at.Audience) != 1 || at.Audience[0] != authservertest.API {
		t.Fatalf("access token claims = %+v", at)
	}

	// x/oauth2's refresh rotates the refresh token.
	next, err := f.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken || next.AccessToken == tok.AccessToken {
		t.Fatal("refresh did not rotate the tokens")
	}
}

// TestPublicClientConsent: a public client uses PKCE alone; its user sees a
// consent page once, and a denial reaches the client as access_denied.
func TestPublicClientConsent(t *testing.T) {
	as := authservertest.New(t)
	b := newBrowser(t, as)
	f := newFlow(as, as.SPAClientID, "", "openid", "profile", "offline_access")
	f.conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams

	p := b.login(b.get(f.authURL()), as.Username, as.Password)
	if !strings.Contains(p.body, "Single-Page App") || !strings.Contains(p.body, "see your name and profile") {
		t.Fatalf("consent page: %s", p.body)
	}
	deny := b.consent(p, "deny").location(t)
	if deny.Query().Get("error") != "access_denied" || deny.Query().Get("state") != f.state {
		t.Fatalf("denial: %s", deny)
	}

	f = newFlow(as, as.SPAClientID, "", "openid", "profile", "offline_access")
	f.conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	code := f.code(t, as, b.consent(b.get(f.authURL()), "allow").location(t))
	tok, err := f.exchange(code)
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("public client exchange: %v %+v", err, tok)
	}
	// Consent is remembered: prompt=none now succeeds silently.
	f = newFlow(as, as.SPAClientID, "", "openid", "profile")
	f.code(t, as, b.get(f.authURL(oauth2.SetAuthURLParam("prompt", "none"))).location(t))
	// prompt=consent asks again anyway.
	f = newFlow(as, as.SPAClientID, "", "openid")
	if p := b.get(f.authURL(oauth2.SetAuthURLParam("prompt", "consent"))); !strings.Contains(p.body, `name="decision"`) {
		t.Fatalf("prompt=consent did not show the consent page: %d", p.status)
	}
}

// TestPromptAndMaxAge covers prompt=none, prompt=login and max_age (OpenID
// Connect Core section 3.1.2.1).
func TestPromptAndMaxAge(t *testing.T) {
	as := authservertest.New(t)
	b := newBrowser(t, as)
	f := webFlow(as, "openid")
	u := b.get(f.authURL(oauth2.SetAuthURLParam("prompt", "none"))).location(t)
	if u.Query().Get("error") != "login_required" || u.Query().Get("state") != f.state {
		t.Fatalf("prompt=none without a session: %s", u)
	}
	f.code(t, as, b.login(b.get(f.authURL()), as.Username, as.Password).location(t))

	// Single sign-on: a second request needs no login.
	f = webFlow(as, "openid")
	f.code(t, as, b.get(f.authURL()).location(t))
	for _, opt := range []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0")} {
		f = webFlow(as, "openid")
		p := b.get(f.authURL(opt))
		if !strings.Contains(p.body, `name="password"`) {
			t.Fatalf("re-authentication not asked: %d", p.status)
		}
		f.code(t, as, b.login(p, as.Username, as.Password).location(t))
	}
	// login_hint fills the username.
	f = webFlow(as, "openid")
	if p := b.get(f.authURL(oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("login_hint", "someone"))); !strings.Contains(p.body, `value="someone"`) {
		t.Fatal("login_hint not used")
	}
}

// TestPagesAreHardened checks the headers of the HTML pages and the
// redirect status codes.
func TestPagesAreHardened(t *testing.T) {
	as := authservertest.New(t)
	b := newBrowser(t, as)
	f := webFlow(as, "openid")
	p := b.get(f.authURL())
	for k, want := range map[string]string{
		"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
		"Content-Type": "text/html; charset=utf-8", "X-Content-Type-Options": "nosniff",
	} {
		if got := p.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	for _, want := range []string{`<label for="username">`, `<label for="password">`, `autocomplete="current-password"`, `name="csrf"`, `lang="en"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
	resp := b.login(p, as.Username, as.Password)
	if resp.status != http.StatusSeeOther {
		t.Fatalf("redirect after login: %d, want 303", resp.status)
	}
	for _, c := range b.c.Jar.Cookies(mustURL(t, as.URL)) {
		if c.Name == "portcullis_session" {
			return
		}
	}
	t.Fatal("no session cookie")
}

// TestForgedForms: a login without the CSRF token, from another browser,
// or with a tampered session cookie, is refused.
func TestForgedForms(t *testing.T) {
	as := authservertest.New(t)
	b := newBrowser(t, as)
	p := b.get(webFlow(as, "openid").authURL())
	form := authservertest.HiddenFields(p.body)
	form.Set("username", as.Username)
	form.Set("password", as.Password)

	forged := url.Values{"request": {form.Get("request")}, "csrf": {"forged"}, "username": {as.Username}, "password": {as.Password}}
	if r := b.post(as.URL+"/login", forged); r.status != http.StatusForbidden {
		t.Fatalf("forged CSRF token: %d", r.status)
	}
	other := newBrowser(t, as)
	other.get(webFlow(as, "openid").authURL())
	if r := other.post(as.URL+"/login", form); r.status != http.StatusForbidden {
		t.Fatalf("login form of another browser: %d", r.status)
	}
	if r := b.post(as.URL+"/login", url.Values{"request": {"nope"}, "csrf": {"x"}}); r.status != http.StatusBadRequest {
		t.Fatalf("unknown request: %d", r.status)
	}
	// The genuine form still works: refusals lost nothing.
	if r := b.post(as.URL+"/login", form); r.status != http.StatusSeeOther {
		t.Fatalf("genuine login after refusals: %d", r.status)
	}

	// A tampered session cookie counts as no session.
	u := mustURL(t, as.URL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "portcullis_session", Value: "tampered", Path: "/"}})
	if p := b.get(webFlow(as, "openid").authURL()); !strings.Contains(p.body, `name="password"`) {
		t.Fatalf("tampered session cookie: %d, want the login page", p.status)
	}
}

func TestLoginThrottle(t *testing.T) {
	as := authservertest.New(t, frozenThrottles)
	b := newBrowser(t, as)
	p := b.get(webFlow(as, "openid").authURL())
	for i := range 5 {
		p = b.login(p, as.Username, "wrong")
		if p.status != http.StatusOK || !strings.Contains(p.body, "Wrong username or password.") {
			t.Fatalf("failure %d: %d", i, p.status)
		}
	}
	p = b.login(p, as.Username, as.Password)
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "Too many failed attempts") {
		t.Fatalf("after 5 failures: %d %q", p.status, p.header.Get("Retry-After"))
	}
}

func TestPushedAuthorizationRequest(t *testing.T) {
	as := authservertest.New(t, func(c *authserver.Config) {
		c.Clients[1].RequirePAR = true
	})
	b := newBrowser(t, as)
	f := webFlow(as, "openid")
	// Required PAR refuses a plain request, by redirect.
	if u := b.get(f.authURL()).location(t); u.Query().Get("error") != "invalid_request" {
		t.Fatalf("unpushed request for a PAR client: %s", u)
	}
	form := url.Values{"client_id": {as.WebClientID}, "response_type": {"code"}, "redirect_uri": {as.RedirectURI},
		"scope": {"openid"}, "state": {f.state}, "code_challenge": {oauth2.S256ChallengeFromVerifier(f.verifier)}, "code_challenge_method": {"S256"}}
	status, body := postForm(t, as.URL+"/par", form, basic(as.WebClientID, as.WebClientSecret))
	ru, _ := body["request_uri"].(string)
	if status != http.StatusCreated || !strings.HasPrefix(ru, "urn:ietf:params:oauth:request_uri:") || body["expires_in"] != float64(60) {
		t.Fatalf("PAR: %d %v", status, body)
	}
	authz := as.URL + "/authorize?" + url.Values{"client_id": {as.WebClientID}, "request_uri": {ru}}.Encode()
	p := b.login(b.get(authz), as.Username, as.Password)
	if _, err := f.exchange(f.code(t, as, p.location(t))); err != nil {
		t.Fatalf("exchange after PAR: %v", err)
	}
	if p := b.get(authz); p.status != http.StatusBadRequest {
		t.Fatalf("request_uri used twice: %d", p.status)
	}
	// PAR errors are JSON, not redirects.
	form.Set("code_challenge_method", "plain")
	if status, body := postForm(t, as.URL+"/par", form, basic(as.WebClientID, as.WebClientSecret)); status != 400 || body["error"] != "invalid_request" {
		t.Fatalf("PAR with plain PKCE: %d %v", status, body)
	}
	if status, body := postForm(t, as.URL+"/par", url.Values{"request_uri": {ru}}, basic(as.WebClientID, as.WebClientSecret)); status != 400 || body["error"] != "invalid_request" {
		t.Fatalf("PAR with request_uri: %d %v", status, body)
	}
}

func TestLogout(t *testing.T) {
	as := authservertest.New(t)
	b, f, tok := signedIn(t, as, "openid")
	idToken := tok.Extra("id_token").(string)
	back := as.App.URL + "/"
	bad := as.URL + "/logout?" + url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {back + "evil"}}.Encode()
	if p := b.get(bad); p.status != http.StatusBadRequest {
		t.Fatalf("unregistered post_logout_redirect_uri: %d", p.status)
	}
	if p := b.get(as.URL + "/logout?" + url.Values{"id_token_hint": {"forged.token.x"}}.Encode()); p.status != http.StatusBadRequest {
		t.Fatalf("forged id_token_hint: %d", p.status)
	}
	u := b.get(as.URL + "/logout?" + url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {back}, "state": {"s1"}}.Encode()).location(t)
	if u.String() != back+"?state=s1" {
		t.Fatalf("logout redirect = %s", u)
	}
	f = webFlow(as, "openid")
	if p := b.get(f.authURL()); !strings.Contains(p.body, `name="password"`) {
		t.Fatal("session survived logout")
	}

	// Without a hint the user confirms, through a CSRF-protected form.
	b2 := newBrowser(t, as)
	b2.signIn(webFlow(as, "openid"))
	p := b2.get(as.URL + "/logout")
	if !strings.Contains(p.body, "Sign out?") {
		t.Fatalf("no confirmation page: %s", p.body)
	}
	form := authservertest.HiddenFields(p.body)
	form.Set("confirm", "yes")
	forged := url.Values{"confirm": {"yes"}, "csrf": {"x"}}
	if r := b2.post(as.URL+"/logout", forged); r.status != http.StatusForbidden {
		t.Fatalf("forged logout: %d", r.status)
	}
	if r := b2.post(as.URL+"/logout", form); !strings.Contains(r.body, "You are signed out") {
		t.Fatalf("confirmed logout: %d %s", r.status, r.body)
	}
}

func TestUserInfo(t *testing.T) {
	as := authservertest.New(t)
	_, _, tok := signedIn(t, as, "openid", "email")
	get := func(method, authz string, form url.Values) (int, http.Header, map[string]any) {
		req, _ := http.NewRequest(method, as.URL+"/userinfo", strings.NewReader(form.Encode()))
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Header, decode(t, resp)
	}
	status, _, body := get("GET", "Bearer "+tok.AccessToken, nil)
	if status != 200 || body["email"] != "demo@example.com" || body["name"] != nil || body["sub"] == "" {
		t.Fatalf("userinfo with openid email: %d %v (name must need the profile scope)", status, body)
	}
	if status, _, body := get("POST", "", url.Values{"access_token": {tok.AccessToken}}); status != 200 || body["email"] == nil {
		t.Fatalf("userinfo by POST: %d %v", status, body)
	}
	tests := []struct {
		name, authz string
		form        url.Values
		status      int
		challenge   string
	}{
		{"no token", "", nil, 401, `Bearer realm="portcullis"`},
		{"garbage token", "Bearer garbage", nil, 401, `error="invalid_token"`},
		{"Basic scheme", "Basic dXNlcjpwdw==", nil, 400, `error="invalid_request"`},
		{"token twice", "Bearer " + tok.AccessToken, url.Values{"access_token": {tok.AccessToken}}, 400, `error="invalid_request"`},
		{"token without openid", "Bearer " + as.Token(t, "list:users"), nil, 403, `error="insufficient_scope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "GET"
			if tt.form != nil {
				method = "POST"
			}
			status, h, body := get(method, tt.authz, tt.form)
			if status != tt.status || !strings.Contains(h.Get("WWW-Authenticate"), tt.challenge) || (body["error"] == nil) != (tt.status == 401 && tt.authz == "") {
				t.Fatalf("got %d %q %v, want %d with %s", status, h.Get("WWW-Authenticate"), body, tt.status, tt.challenge)
			}
		})
	}
	postForm(t, as.URL+"/revoke", url.Values{"token": {tok.AccessToken}}, basic(as.WebClientID, as.WebClientSecret))
	if status, _, _ := get("GET", "Bearer "+tok.AccessToken, nil); status != 401 {
		t.Fatalf("userinfo with a revoked token: %d", status)
	}
}

// TestDeletedUser: deleting a user revokes their grants.
func TestDeletedUser(t *testing.T) {
	as := authservertest.New(t)
	_, f, tok := signedIn(t, as, "openid", "offline_access")
	ctx := context.Background()
	u, _ := as.Store.GetUserByUsername(ctx, as.Username)
	if err := as.Store.DeleteUser(ctx, store.NewCutoff("", u.ID, time.Now(), time.Hour), time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Fatal("refresh worked for a deleted user")
	}
	if _, err := as.Store.GetUser(ctx, u.ID); err != store.ErrNotFound {
		t.Fatalf("user still there: %v", err)
	}
}

// TestThrottleBehindProxy: behind a trusted proxy, the address throttle
// counts the forwarded client address, so one attacker's failures do not
// lock out a person at another address, and the audit trail names the
// real address.
func TestThrottleBehindProxy(t *testing.T) {
	as := authservertest.New(t, func(c *authserver.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		c.AddressThrottle = frozen(&users.Throttle{FreeAttempts: 2, Window: time.Minute, MaxDelay: time.Minute})
	})
	from := func(b *browser, ip string) { b.c.Transport = forwardedFor{ip} }
	attacker, person := newBrowser(t, as), newBrowser(t, as)
	from(attacker, "203.0.113.7")
	from(person, "198.51.100.9")
	p := attacker.get(webFlow(as, "openid").authURL())
	for i := range 2 {
		p = attacker.login(p, fmt.Sprint("nobody", i), "wrong")
	}
	if p = attacker.login(p, "nobody9", "wrong"); p.status != http.StatusTooManyRequests {
		t.Fatalf("attacker address after 2 failures: %d, want 429", p.status)
	}
	if p := person.login(person.get(webFlow(as, "openid").authURL()), as.Username, as.Password); p.status != http.StatusSeeOther {
		t.Fatalf("a person at another address: %d, want a sign-in", p.status)
	}
}

// forwardedFor is a transport that says the request came through a proxy
// for ip.
type forwardedFor struct{ ip string }

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.ip)
	return http.DefaultTransport.RoundTrip(r)
}

// TestCORS: public documents are readable from any origin; the token,
// revocation and userinfo endpoints answer only the clients' origins.
func TestCORS(t *testing.T) {
	as := authservertest.New(t)
	app := as.App.URL
	tests := []struct {
		name, method, path, origin, want string
	}{
		{"discovery from anywhere", "GET", "/.well-known/openid-configuration", "https://elsewhere.example", "*"},
		{"JWKS from anywhere", "GET", "/jwks", "https://elsewhere.example", "*"},
		{"token preflight from a client origin", "OPTIONS", "/token", app, app},
		{"token preflight from another origin", "OPTIONS", "/token", "https://evil.example", ""},
		{"userinfo from a client origin", "GET", "/userinfo", app, app},
		{"introspection never", "OPTIONS", "/introspect", app, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, as.URL+tt.path, nil)
			req.Header.Set("Origin", tt.origin)
			if tt.method == "OPTIONS" {
				req.Header.Set("Access-Control-Request-Method", "POST")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.want {
				t.Fatalf("Access-Control-Allow-Origin = %q, want %q", got, tt.want)
			}
			if resp.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Fatal("credentials allowed cross-origin")
			}
		})
	}
}
