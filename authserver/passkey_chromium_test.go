package authserver_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/internal/browsertest"
)

// localhostServer starts a server whose issuer is http://localhost:PORT,
// the relying party localhost: an IP address cannot be an RP ID, and
// Chromium runs WebAuthn on localhost without TLS.
func localhostServer(t *testing.T) (*authservertest.Server, string) {
	t.Helper()
	var origin string
	as := authservertest.New(t, func(c *authserver.Config) {
		u, _ := url.Parse(c.Issuer)
		origin = "http://localhost:" + u.Port()
		c.Issuer = origin
	})
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
