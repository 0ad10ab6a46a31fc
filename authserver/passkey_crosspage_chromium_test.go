package authserver_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portcullis/portcullis/internal/browsertest"
)

// TestPasskeyLoginRefusesFactorCeremony: the factor page's ceremony (a
// second factor's, user verification only preferred) cannot sign in on
// its own through the login page's passkey form: an assertion of it,
// posted to /login/passkey with that form's CSRF token, is refused and
// the login page says so; no application is reached.
func TestPasskeyLoginRefusesFactorCeremony(t *testing.T) {
	ctx := browsertest.Chromium(t, 120*time.Second)
	as, origin := localhostServer(t)
	virtualAuthenticator(t, ctx)
	page := func() string {
		s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		return s
	}
	f := webFlow(as, "openid")
	err := chromedp.Do(ctx, chromedp.Navigate(strings.Replace(f.authURL(), as.URL, origin, 1)), chromedp.WaitVisible(`#username`),
		chromedp.SendKeys(`#username`, as.Username), chromedp.SendKeys(`#password`, as.Password),
		chromedp.Submit(`#password`), chromedp.WaitVisible(`#app`),
		chromedp.Navigate(origin+"/account/enrol?kind=passkey"), chromedp.WaitVisible(`[data-passkey-start]`),
		chromedp.SendKeys(`#name`, "Laptop"), chromedp.Click(`[data-passkey-start]`), chromedp.WaitVisible(`ul.codes`))
	if err != nil {
		t.Fatalf("register a passkey: %v; %s", err, page())
	}
	clearCookies(t, ctx)
	f = webFlow(as, "openid")
	err = chromedp.Do(ctx, chromedp.Navigate(strings.Replace(f.authURL(), as.URL, origin, 1)), chromedp.WaitVisible(`#username`))
	if err != nil {
		t.Fatal(err)
	}
	csrf, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('form[action$="login/passkey"] [name=csrf]').value`))
	if err != nil || csrf == "" {
		t.Fatalf("the login page's passkey form: %q, %v", csrf, err)
	}
	err = chromedp.Do(ctx, chromedp.SendKeys(`#username`, as.Username), chromedp.SendKeys(`#password`, as.Password),
		chromedp.Submit(`#password`), chromedp.WaitVisible(`form[action$="login/factor"] [data-passkey-start]`))
	if err != nil {
		t.Fatalf("password, then the factor page: %v; %s", err, page())
	}
	// The factor page's form, its ceremony unchanged, posts to the login
	// page's passkey route with that route's token.
	swap := `(() => { const f = document.querySelector('form[action$="login/factor"][data-passkey]');
		f.setAttribute('action', f.getAttribute('action').replace('login/factor', 'login/passkey'));
		f.querySelector('[name=csrf]').value = ` + "`" + csrf + "`" + `; return true })()`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](swap)); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx, chromedp.Click(`[data-passkey-start]`), chromedp.WaitVisible(`#password`))
	if err != nil {
		t.Fatalf("the factor's ceremony at /login/passkey: %v, want the login page; %s", err, page())
	}
	if p := page(); !strings.Contains(p, "could not be verified") {
		t.Errorf("login page without the refusal: %s", p)
	}
}
