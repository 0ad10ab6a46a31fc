package authserver_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/internal/browsertest"
	"github.com/portcullis/portcullis/users"
)

// TestBrowserFederatedSignIn runs a federated sign-in in headless
// Chromium: the app's login page offers "Continue with Upstream" (and
// passes browsertest.CheckPage with its connector button), the click
// leads to the upstream Portcullis's login page, the sign-in there (and
// its consent, if it asks) back to the app with a code whose ID token
// says amr fed.
//
// The upstream's issuer is http://localhost:PORT and the downstream's
// http://127.0.0.1:PORT: a browser keeps cookies by host, not port, and
// both servers name their cookies alike.
func TestBrowserFederatedSignIn(t *testing.T) {
	ctx := browsertest.Chromium(t, 120*time.Second)
	f := newFederationUp(t, users.FederationRules{CreateUsers: true}, func(c *authserver.Config) {
		u, _ := url.Parse(c.Issuer)
		c.Issuer = "http://localhost:" + u.Port()
	})
	fl := webFlow(f.down, "openid", "profile")
	if err := chromedp.Do(ctx, chromedp.Navigate(fl.authURL()), chromedp.WaitVisible(`button[value="up"]`)); err != nil {
		t.Fatalf("the login page: %v", err)
	}
	label, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('button[value="up"]').innerText`))
	if err != nil || label != "Continue with Upstream" {
		t.Fatalf("the button says %q (%v), want Continue with Upstream", label, err)
	}
	browsertest.CheckPage(t, ctx, "signin-login-connectors")

	if err := chromedp.Do(ctx, chromedp.Click(`button[value="up"]`)); err != nil {
		t.Fatalf("continue with the upstream: %v", err)
	}
	waitFor(t, ctx, fmt.Sprintf(`location.origin === %q && document.querySelector('#username') !== null`, f.up.Config.Issuer))
	err = chromedp.Do(ctx,
		chromedp.SendKeys(`#username`, f.up.Username),
		chromedp.SendKeys(`#password`, f.up.Password),
		chromedp.Submit(`#password`),
	)
	if err != nil {
		t.Fatalf("sign in at the upstream: %v", err)
	}
	waitFor(t, ctx, `document.querySelector('#app, button[name="decision"]') !== null`)
	consent, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('button[name="decision"][value="allow"]') !== null`))
	if err != nil {
		t.Fatal(err)
	}
	if consent {
		if err := chromedp.Do(ctx, chromedp.Click(`button[name="decision"][value="allow"]`), chromedp.WaitVisible(`#app`)); err != nil {
			t.Fatalf("consent at the upstream: %v", err)
		}
	}
	landed, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(landed)
	if err != nil {
		t.Fatal(err)
	}
	if amr, _ := idClaimsAt(t, f.down, fl, u)["amr"].([]any); len(amr) != 1 || amr[0] != "fed" {
		t.Fatalf("amr %v, want [fed]", amr)
	}
}
