package signin_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/internal/browsertest"
	"github.com/portcullis/portcullis/store"
)

// TestAccountBrowser registers a passkey from the account page in
// headless Chromium with the DevTools virtual authenticator (a platform
// authenticator with resident keys that verifies the user), and checks
// the account and enrolment pages at desktop and phone sizes
// (browsertest.CheckPage: no sideways overflow, no serious axe-core
// violation).
func TestAccountBrowser(t *testing.T) {
	ctx := browsertest.Chromium(t, 180*time.Second)
	var origin string
	as := authservertest.New(t, func(cfg *authserver.Config) {
		// The issuer is at localhost too, so that the pages' absolute
		// links (the recovery codes page's way on) stay in this origin.
		u, _ := url.Parse(cfg.Issuer)
		origin = "http://localhost:" + u.Port()
		cfg.Issuer = origin
		enableMFA(t, cfg, false)
		enablePasskeys(t, cfg, origin)
	})
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
	// Signed in through the web client, at localhost, where passkeys work.
	q := url.Values{"response_type": {"code"}, "client_id": {as.WebClientID}, "redirect_uri": {as.RedirectURI}, "scope": {"openid"},
		"state": {"s"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
	err = chromedp.Do(ctx, chromedp.Navigate(origin+"/authorize?"+q.Encode()), chromedp.WaitVisible(`#username`),
		chromedp.SendKeys(`#username`, as.Username), chromedp.SendKeys(`#password`, as.Password),
		chromedp.Submit(`#password`), chromedp.WaitVisible(`#app`))
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(origin+"/account"), chromedp.WaitVisible(`h1`)); err != nil {
		t.Fatal(err)
	}
	browsertest.CheckPage(t, ctx, "account")
	if err := chromedp.Do(ctx, chromedp.Navigate(origin+"/account/enrol"), chromedp.WaitVisible(`h1`)); err != nil {
		t.Fatal(err)
	}
	browsertest.CheckPage(t, ctx, "account-enrol")
	if err := chromedp.Do(ctx, chromedp.Navigate(origin+"/account/enrol?kind=totp"), chromedp.WaitVisible(`img.qr`)); err != nil {
		t.Fatal(err)
	}
	browsertest.CheckPage(t, ctx, "account-totp")
	// The passkey is added from the account page's link.
	err = chromedp.Do(ctx, chromedp.Navigate(origin+"/account"), chromedp.WaitVisible(`h1`),
		chromedp.Click(`a[href$="account/enrol?kind=passkey"]`), chromedp.WaitVisible(`[data-passkey-start]`))
	if err != nil {
		t.Fatal(err)
	}
	browsertest.CheckPage(t, ctx, "account-passkey")
	err = chromedp.Do(ctx, chromedp.SendKeys(`#name`, "Laptop"), chromedp.Click(`[data-passkey-start]`), chromedp.WaitVisible(`ul.codes`))
	if err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("register a passkey: %v; page: %s", err, page)
	}
	codes, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('ul.codes code').length`))
	if err != nil {
		t.Fatal(err)
	}
	browsertest.CheckPage(t, ctx, "account-codes")
	u, _ := as.Store.GetUserByUsername(context.Background(), as.Username)
	factors, err := as.Store.ListFactors(context.Background(), u.ID)
	if err != nil || len(factors) != 1 || factors[0].Kind != store.FactorPasskey || factors[0].Name != "Laptop" || len(factors[0].CredentialID) == 0 || codes != 10 {
		t.Fatalf("after registration: factors %+v, %v, %d codes", factors, err, codes)
	}
	// "I saved them" leads back to the account page, which says so.
	if err := chromedp.Do(ctx, chromedp.Click(`a.button`), chromedp.WaitVisible(`p.notice`)); err != nil {
		t.Fatal(err)
	}
	if page, err := chromedp.Run(ctx, chromedp.Text(`main`)); err != nil || !strings.Contains(page, "Laptop") {
		t.Errorf("account page after registration: %q, %v", page, err)
	}
}
