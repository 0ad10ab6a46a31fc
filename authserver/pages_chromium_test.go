package authserver_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/internal/browsertest"
	"github.com/portcullis/portcullis/theme"
)

// TestBrowserPages walks a branded deployment's pages in headless
// Chromium as a person would: the landing page, login (keyboard only),
// consent with the client's logo, the logout page, an error page. Each is
// checked at desktop and phone sizes (browsertest.CheckPage: screenshots,
// no sideways scroll or cut-off element, no serious or critical axe-core
// violation), and says what it must.
func TestBrowserPages(t *testing.T) {
	ctx := browsertest.Chromium(t, 180*time.Second)
	th, err := theme.New(theme.Branding{Name: "Acme Identity", PrimaryColor: "#0b5394", SupportURL: "mailto:help@acme.example"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	as := authservertest.New(t, func(c *authserver.Config) {
		c.Theme = th
		for i := range c.Clients {
			if c.Clients[i].ID == "spa" {
				c.Clients[i].LogoURI = "https://spa.example/logo.png"
			}
		}
	})
	text := func(t *testing.T, want ...string) {
		t.Helper()
		body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("page says %q, want %q in it", body, w)
			}
		}
	}

	t.Run("landing", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate(as.URL+"/"), chromedp.WaitVisible(`h1`)); err != nil {
			t.Fatal(err)
		}
		text(t, "Acme Identity", "OpenID Connect discovery document", as.URL)
		browsertest.CheckPage(t, ctx, "signin-landing")
	})

	f := newFlow(as, as.SPAClientID, "", "openid", "profile")
	t.Run("login and consent", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate(f.authURL()), chromedp.WaitVisible(`#username`)); err != nil {
			t.Fatal(err)
		}
		text(t, "Sign in", "Single-Page App", "Help")
		browsertest.CheckPage(t, ctx, "signin-login")
		// Keyboard only: autofocus, Tab, Enter.
		err := chromedp.Do(ctx, chromedp.KeyEvent(as.Username), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(as.Password),
			chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(`button[value=allow]`))
		if err != nil {
			t.Fatalf("sign in with the keyboard: %v", err)
		}
		text(t, "Allow access?", "Single-Page App", "demo")
		logo, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.client-logo').getAttribute('src')`))
		if err != nil || logo != "https://spa.example/logo.png" {
			t.Errorf("client logo %q, %v", logo, err)
		}
		browsertest.CheckPage(t, ctx, "signin-consent")
		if err := chromedp.Do(ctx, chromedp.Click(`button[value=allow]`), chromedp.WaitVisible(`#app`)); err != nil {
			t.Fatalf("allow: %v", err)
		}
	})

	t.Run("logout", func(t *testing.T) {
		back := as.App.URL + "/"
		q := url.Values{"client_id": {as.SPAClientID}, "post_logout_redirect_uri": {back}, "state": {"s1"}}
		if err := chromedp.Do(ctx, chromedp.Navigate(as.URL+"/logout?"+q.Encode()), chromedp.WaitVisible(`button[value=yes]`)); err != nil {
			t.Fatal(err)
		}
		text(t, "Sign out?", "Single-Page App", "demo", "Stay signed in")
		stay, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('a.button').href`))
		if err != nil || stay != back+"?state=s1" {
			t.Errorf("Stay signed in goes to %q (%v), want %q", stay, err, back+"?state=s1")
		}
		browsertest.CheckPage(t, ctx, "signin-logout")
		if err := chromedp.Do(ctx, chromedp.Click(`button[value=yes]`), chromedp.WaitVisible(`#app`)); err != nil {
			t.Fatalf("sign out: %v", err)
		}
		// Without a place to return to, staying says so.
		if err := chromedp.Do(ctx, chromedp.Navigate(as.URL+"/logout"), chromedp.Click(`button[value=no]`)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `document.querySelector('h1').textContent.includes('still signed in')`)
		text(t, "You are still signed in", "You can close this window")
		browsertest.CheckPage(t, ctx, "signin-logout-stayed")
	})

	t.Run("error", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate(as.URL+"/authorize?client_id=nobody&response_type=code"), chromedp.WaitVisible(`h1`)); err != nil {
			t.Fatal(err)
		}
		text(t, "Sign-in request refused", "contact support", "Request ID: ")
		browsertest.CheckPage(t, ctx, "signin-error")
	})
}

// waitFor evaluates expr until it is true, across the navigation a form
// post starts, for up to ten seconds.
func waitFor(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	for range 100 {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr)); err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("still not true after 10s: %s", expr)
}
