package authserver_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/internal/browsertest"
)

// TestPasskeyEnrolmentIsNotPhishingResistant: adding a passkey never
// makes a session phr, only an assertion of it does. A sign-in with
// acr_values=phr of a user with no factor is sent to enrol a passkey
// (a first factor: the session reaches mfa at most), shown recovery
// codes, and back at the sign-in is asked for the new passkey on the
// factor page, not let through; a user who already had a TOTP factor,
// proved it, adds a passkey and is asked for it the same way. The codes
// each sign-in yields say phr with the key in amr.
func TestPasskeyEnrolmentIsNotPhishingResistant(t *testing.T) {
	for _, tc := range []struct {
		name string
		totp bool
	}{{"first factor", false}, {"after a totp factor", true}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := browsertest.Chromium(t, 120*time.Second)
			clk := &clock{t: time.Now()}
			as, origin := localhostServer(t, func(c *authserver.Config) { c.Now = clk.Now })
			virtualAuthenticator(t, ctx)
			page := func() string {
				s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
				return s
			}
			f := webFlow(as, "openid")
			err := chromedp.Do(ctx, chromedp.Navigate(strings.Replace(f.authURL(oauth2.SetAuthURLParam("acr_values", "phr")), as.URL, origin, 1)),
				chromedp.WaitVisible(`#username`), chromedp.SendKeys(`#username`, as.Username), chromedp.SendKeys(`#password`, as.Password))
			if err != nil {
				t.Fatal(err)
			}
			if tc.totp {
				tf := addTOTP(t, as, clk)
				err = chromedp.Do(ctx, chromedp.Submit(`#password`), chromedp.WaitVisible(`#code`),
					chromedp.SendKeys(`#code`, tf.code(0)), chromedp.Submit(`#code`))
			} else {
				err = chromedp.Do(ctx, chromedp.Submit(`#password`))
			}
			if err != nil {
				t.Fatalf("sign in: %v; %s", err, page())
			}
			steps := []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(`[data-passkey-start]`), chromedp.SendKeys(`#name`, "Laptop"),
				chromedp.Click(`[data-passkey-start]`), chromedp.WaitVisible(`ul.codes`), chromedp.Click(`a.button`),
				chromedp.WaitVisible(`form[action$="login/factor"] [data-passkey-start]`)}
			for i, a := range steps {
				tctx, cancel := context.WithTimeout(ctx, 15*time.Second)
				err = chromedp.Do(tctx, a)
				cancel()
				if err != nil {
					loc, _ := chromedp.Run(ctx, chromedp.Location())
					t.Fatalf("step %d at %s: %v; %s", i, loc, err, page())
				}
			}
			if err != nil {
				t.Fatalf("enrol a passkey, then the factor page asking for it: %v; %s", err, page())
			}
			if err := chromedp.Do(ctx, chromedp.Click(`[data-passkey-start]`), chromedp.WaitVisible(`#app`)); err != nil {
				t.Fatalf("the new passkey as the factor: %v; %s", err, page())
			}
			loc, err := chromedp.Run(ctx, chromedp.Location())
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(loc)
			tok, err := f.exchange(f.code(t, as, u))
			if err != nil {
				t.Fatal(err)
			}
			c := idTokenClaims(t, tok.Extra("id_token").(string))
			if c.ACR != "phr" || !slices.Contains(c.AMR, "hwk") && !slices.Contains(c.AMR, "swk") {
				t.Errorf("after the assertion: %+v, want acr phr with a key", c)
			}
		})
	}
}
