package authserver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/audittest"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/internal/browsertest"
)

// localhostServer starts a server whose issuer is http://localhost:PORT,
// the relying party localhost: an IP address cannot be an RP ID, and
// Chromium runs WebAuthn on localhost without TLS.
func localhostServer(t *testing.T, configure ...func(*authserver.Config)) (*authservertest.Server, string) {
	t.Helper()
	var origin string
	as := authservertest.New(t, append([]func(*authserver.Config){func(c *authserver.Config) {
		u, _ := url.Parse(c.Issuer)
		origin = "http://localhost:" + u.Port()
		c.Issuer = origin
	}}, configure...)...)
	return as, origin
}

// virtualAuthenticator gives the browser a platform authenticator with
// resident keys that verifies its user (DevTools WebAuthn domain).
func virtualAuthenticator(t *testing.T, ctx context.Context) {
	t.Helper()
	_, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{})
	if err == nil {
		_, err = chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}})
	}
	if err != nil {
		t.Fatalf("virtual authenticator: %v", err)
	}
}

// TestPasskeySignInBrowser registers a passkey through the account's
// enrolment page in headless Chromium, then signs in with it alone
// ("Sign in with a passkey", no password) and, after the password, as
// the second factor. Both tokens say acr phr with a key, user
// verification and mfa in amr. The login page with the passkey form and
// the factor page pass browsertest.CheckPage.
func TestPasskeySignInBrowser(t *testing.T) {
	ctx := browsertest.Chromium(t, 180*time.Second)
	as, origin := localhostServer(t)
	virtualAuthenticator(t, ctx)
	at := func(f *flow) string { return strings.Replace(f.authURL(), as.URL, origin, 1) }
	landed := func(f *flow) signInClaims {
		t.Helper()
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(loc)
		tok, err := f.exchange(f.code(t, as, u))
		if err != nil {
			t.Fatal(err)
		}
		return idTokenClaims(t, tok.Extra("id_token").(string))
	}
	phr := func(name string, c signInClaims, pwd bool) {
		t.Helper()
		key := slices.Contains(c.AMR, "hwk") || slices.Contains(c.AMR, "swk")
		if c.ACR != "phr" || !key || !slices.Contains(c.AMR, "user") || !slices.Contains(c.AMR, "mfa") || slices.Contains(c.AMR, "pwd") != pwd || c.AuthTime == 0 {
			t.Errorf("%s: %+v, want acr phr, a key, user and mfa (pwd %v)", name, c, pwd)
		}
	}
	page := func() string {
		s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		return s
	}

	// Signed in with the password (no factor yet), the user adds a
	// passkey.
	f := webFlow(as, "openid")
	err := chromedp.Do(ctx, chromedp.Navigate(at(f)), chromedp.WaitVisible(`#username`),
		chromedp.SendKeys(`#username`, as.Username), chromedp.SendKeys(`#password`, as.Password),
		chromedp.Submit(`#password`), chromedp.WaitVisible(`#app`))
	if err != nil {
		t.Fatalf("sign in with the password: %v; %s", err, page())
	}
	err = chromedp.Do(ctx, chromedp.Navigate(origin+"/account/enrol?kind=passkey"), chromedp.WaitVisible(`[data-passkey-start]`),
		chromedp.SendKeys(`#name`, "Laptop"), chromedp.Click(`[data-passkey-start]`), chromedp.WaitVisible(`ul.codes`))
	if err != nil {
		t.Fatalf("register a passkey: %v; %s", err, page())
	}

	// A new browser session: the passkey alone signs in.
	clearCookies(t, ctx)
	f = webFlow(as, "openid")
	err = chromedp.Do(ctx, chromedp.Navigate(at(f)), chromedp.WaitVisible(`[data-passkey-start]`))
	if err != nil {
		t.Fatal(err)
	}
	browsertest.CheckPage(t, ctx, "login-passkey")
	if err := chromedp.Do(ctx, chromedp.Click(`form[action="login/passkey"] [data-passkey-start]`), chromedp.WaitVisible(`#app`)); err != nil {
		t.Fatalf("sign in with a passkey: %v; %s", err, page())
	}
	phr("passkey sign-in", landed(f), false)

	// Again: the password, then the passkey as the second factor.
	clearCookies(t, ctx)
	f = webFlow(as, "openid")
	err = chromedp.Do(ctx, chromedp.Navigate(at(f)), chromedp.WaitVisible(`#username`),
		chromedp.SendKeys(`#username`, as.Username), chromedp.SendKeys(`#password`, as.Password),
		chromedp.Submit(`#password`), chromedp.WaitVisible(`form[action="login/factor"] [data-passkey-start]`))
	if err != nil {
		t.Fatalf("password, then the factor page: %v; %s", err, page())
	}
	browsertest.CheckPage(t, ctx, "factor")
	if err := chromedp.Do(ctx, chromedp.Click(`[data-passkey-start]`), chromedp.WaitVisible(`#app`)); err != nil {
		t.Fatalf("passkey as the second factor: %v; %s", err, page())
	}
	phr("password and passkey", landed(f), true)
}

// clearCookies ends the browser's sessions, as a new browser would have
// none.
func clearCookies(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
}

// TestPasskeyWrongOrigin: a page of another origin on the same host
// (localhost, another port: the RP ID holds, the origin does not) runs
// the real login page's passkey ceremony and posts its assertion to the
// real /login/passkey: refused with a 4xx, audited, and no session.
func TestPasskeyWrongOrigin(t *testing.T) {
	ctx := browsertest.Chromium(t, 180*time.Second)
	events := &audittest.Log{}
	as, origin := localhostServer(t, func(c *authserver.Config) { c.Auditor = events })
	virtualAuthenticator(t, ctx)
	at := func(f *flow) string { return strings.Replace(f.authURL(), as.URL, origin, 1) }
	err := chromedp.Do(ctx, chromedp.Navigate(at(webFlow(as, "openid"))), chromedp.WaitVisible(`#username`),
		chromedp.SendKeys(`#username`, as.Username), chromedp.SendKeys(`#password`, as.Password),
		chromedp.Submit(`#password`), chromedp.WaitVisible(`#app`),
		chromedp.Navigate(origin+"/account/enrol?kind=passkey"), chromedp.WaitVisible(`[data-passkey-start]`),
		chromedp.SendKeys(`#name`, "Laptop"), chromedp.Click(`[data-passkey-start]`), chromedp.WaitVisible(`ul.codes`))
	if err != nil {
		t.Fatalf("register a passkey: %v", err)
	}
	clearCookies(t, ctx)
	// The real login page, in this browser (its cookies are the
	// host's, whatever the port): its passkey form, copied.
	var form string
	err = chromedp.Do(ctx, chromedp.Navigate(at(webFlow(as, "openid"))), chromedp.WaitVisible(`[data-passkey-start]`))
	if err == nil {
		form, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('form[action="login/passkey"]').outerHTML`))
	}
	if err != nil {
		t.Fatal(err)
	}
	form = strings.Replace(form, `action="login/passkey"`, `action="`+origin+`/login/passkey"`, 1)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>Look-alike</title><main>%s<script src="%s/static/passkey.js"></script></main></html>`, form, origin)
	}))
	t.Cleanup(evil.Close)
	u, _ := url.Parse(evil.URL)
	evilOrigin := "http://localhost:" + u.Port()
	err = chromedp.Do(ctx, chromedp.Navigate(evilOrigin+"/"), chromedp.WaitVisible(`[data-passkey-start]`),
		chromedp.Click(`[data-passkey-start]`), chromedp.WaitVisible(`#username`))
	if err != nil {
		s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + " " + document.body.innerText`))
		t.Fatalf("the look-alike's assertion: %v; %s", err, s)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if !strings.HasPrefix(loc, origin+"/login/passkey") || !strings.Contains(text, "could not be verified") {
		t.Errorf("after the look-alike's post: %s: %s", loc, text)
	}
	failed := 0
	for _, e := range events.OfType(audit.LoginFailed) {
		if e.Detail["method"] == "passkey" {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("%d passkey login_failed events, want 1", failed)
	}
	codes := 0
	for _, u := range as.Callbacks() {
		if u.Query().Has("code") {
			codes++
		}
	}
	if codes != 1 {
		t.Errorf("%d codes issued, want only the first sign-in's", codes)
	}
	// No session: the login page again, not the app.
	if err := chromedp.Do(ctx, chromedp.Navigate(at(webFlow(as, "openid"))), chromedp.WaitVisible(`#username`)); err != nil {
		t.Errorf("a session after the refused assertion: %v", err)
	}
}
