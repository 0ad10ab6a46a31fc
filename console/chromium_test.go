package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/internal/browsertest"
)

// signInChromium signs in to the console in Chromium as username, through
// the authorization server's login page.
func signInChromium(t *testing.T, ctx context.Context, e *env, username string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.Console),
		chromedp.WaitVisible(`#username`),
		chromedp.SendKeys(`#username`, username),
		chromedp.SendKeys(`#password`, password),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`body.console main h1`),
	)
	if err != nil {
		t.Fatalf("sign in as %s: %v", username, err)
	}
}

// visit opens the console page path and checks it at every size
// (screenshots console-name-<size>.png, no sideways scroll, no serious
// accessibility violation).
func visit(t *testing.T, ctx context.Context, e *env, path, name string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(e.Console+path), chromedp.WaitVisible(`body.console main h1`)); err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	browsertest.CheckPage(t, ctx, "console-"+name)
}

// text is the text of the page's main element.
func text(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(`main`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// An administrator signs in, creates a web application and a user through
// the forms, revokes a grant and rotates a key; every page is checked at
// desktop and phone sizes.
func TestChromiumAdmin(t *testing.T) {
	ctx := browsertest.Chromium(t, 4*time.Minute)
	e := newEnv(t)
	e.grant(t, plainUser)
	e.seedUsage(t)
	signInChromium(t, ctx, e, adminUser)
	browsertest.CheckPage(t, ctx, "console-overview")

	t.Run("create a web application", func(t *testing.T) {
		visit(t, ctx, e, "apps/new", "apps-new")
		err := chromedp.Do(ctx,
			chromedp.Click(`a[href$="kind=web"]`),
			chromedp.WaitVisible(`#f-client_name`),
		)
		if err != nil {
			t.Fatal(err)
		}
		browsertest.CheckPage(t, ctx, "console-apps-new-web")
		err = chromedp.Do(ctx,
			chromedp.SendKeys(`#f-client_name`, "Shop"),
			chromedp.SendKeys(`#f-client_id`, "shop"),
			chromedp.SendKeys(`#f-redirect_uris`, "https://shop.example.com/callback"),
			chromedp.SendKeys(`#f-scopes`, "openid profile"),
			chromedp.Click(`main form button[type=submit]`),
			chromedp.WaitVisible(`#new-secret`),
		)
		if err != nil {
			t.Fatal(err)
		}
		browsertest.CheckPage(t, ctx, "console-app-created")
		if got := text(t, ctx); !strings.Contains(got, "Application shop created.") {
			t.Fatalf("after creating: %s", got)
		}
		visit(t, ctx, e, "apps", "apps")
		visit(t, ctx, e, "apps/shop/delete", "app-delete")
	})
	t.Run("a form error is shown next to its field", func(t *testing.T) {
		err := chromedp.Do(ctx,
			chromedp.Navigate(e.Console+"apps/new?kind=web"),
			chromedp.WaitVisible(`#f-redirect_uris`),
			chromedp.SendKeys(`#f-redirect_uris`, "http://insecure.example.com/cb"),
			chromedp.SendKeys(`#f-scopes`, "openid"),
			chromedp.Click(`main form button[type=submit]`),
			chromedp.WaitVisible(`#e-redirect_uris`),
		)
		if err != nil {
			t.Fatal(err)
		}
		browsertest.CheckPage(t, ctx, "console-apps-new-error")
	})
	t.Run("create a user", func(t *testing.T) {
		visit(t, ctx, e, "users", "users")
		err := chromedp.Do(ctx,
			chromedp.SendKeys(`#f-username`, "zoe"),
			chromedp.SendKeys(`#f-password`, "zoe-password-1"),
			chromedp.SendKeys(`#f-name`, "Zoe"),
			chromedp.Click(`form[method=post][action$="/users"] button[type=submit]`),
			chromedp.WaitVisible(`.flash`),
		)
		if err != nil {
			t.Fatal(err)
		}
		if got := text(t, ctx); !strings.Contains(got, "User zoe created.") {
			t.Fatalf("after creating: %s", got)
		}
	})
	t.Run("revoke a grant", func(t *testing.T) {
		visit(t, ctx, e, "users/"+e.userID(t, plainUser), "user")
		err := chromedp.Do(ctx,
			chromedp.Click(`form[action*="/grants/"] button`),
			chromedp.WaitVisible(`.flash`),
		)
		if err != nil {
			t.Fatal(err)
		}
		if got := text(t, ctx); !strings.Contains(got, "Grant revoked") || !strings.Contains(got, "No live grants.") {
			t.Fatalf("after revoking: %s", got)
		}
	})
	t.Run("rotate a key", func(t *testing.T) {
		visit(t, ctx, e, "keys", "keys")
		err := chromedp.Do(ctx,
			chromedp.Click(`form[action$="/keys/rotate"] button`),
			chromedp.WaitVisible(`.flash`),
		)
		if err != nil {
			t.Fatal(err)
		}
		if got := text(t, ctx); !strings.Contains(got, "New ES256 key") {
			t.Fatalf("after rotating: %s", got)
		}
	})
	t.Run("other pages", func(t *testing.T) {
		visit(t, ctx, e, "apps/"+e.WebClientID, "app")
		visit(t, ctx, e, "apis", "apis")
		visit(t, ctx, e, "apis/new", "apis-new")
		visit(t, ctx, e, "api?"+url.Values{"id": {authservertest.API}}.Encode(), "api")
		visit(t, ctx, e, "api/delete?"+url.Values{"id": {authservertest.API}}.Encode(), "api-delete")
		visit(t, ctx, e, "users?q=nor", "users-search")
		visit(t, ctx, e, "audit", "audit")
		visit(t, ctx, e, "apps/nope", "not-found")
	})
}

// A viewer sees the pages without a change form, and a form crafted in
// the page (with the session's own CSRF token) is refused.
func TestChromiumViewer(t *testing.T) {
	ctx := browsertest.Chromium(t, 2*time.Minute)
	e := newEnv(t)
	signInChromium(t, ctx, e, viewerUser)
	browsertest.CheckPage(t, ctx, "console-viewer-overview")
	for _, path := range []string{"apps", "apps/" + e.WebClientID, "users", "users/" + e.userID(t, plainUser), "keys"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(e.Console+path), chromedp.WaitVisible(`body.console main h1`)); err != nil {
			t.Fatal(err)
		}
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('form[method=post]:not([action$="/logout"])').length`))
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("the viewer's page %s has %d change forms", path, n)
		}
	}
	browsertest.CheckPage(t, ctx, "console-viewer-keys")
	// The crafted form carries the CSRF token of the sign-out form, so only
	// the role stops it.
	err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.createElement('form');
		f.method = 'post';
		f.action = 'keys/rotate';
		const c = document.createElement('input');
		c.type = 'hidden'; c.name = 'csrf';
		c.value = document.querySelector('input[name=csrf]').value;
		f.appendChild(c);
		document.body.appendChild(f);
		f.submit();
	})()`), chromedp.WaitVisible(`#problem`))
	if err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx); !strings.Contains(got, "Your role lets you see this part of the console, not change it") {
		t.Fatalf("the crafted POST was not refused: %s", got)
	}
	browsertest.CheckPage(t, ctx, "console-viewer-refused")
}

// A user without a console role sees the page that says so.
func TestChromiumNoAccess(t *testing.T) {
	ctx := browsertest.Chromium(t, time.Minute)
	e := newEnv(t)
	signInChromium(t, ctx, e, plainUser)
	if got := text(t, ctx); !strings.Contains(got, "You have no access to the console") {
		t.Fatalf("%s", got)
	}
	browsertest.CheckPage(t, ctx, "console-no-access")
}

// Signing out ends on the console's signed-out page; a callback this
// browser did not start is refused with a page; the authorization
// server's own sign-out ends on "You are signed out". Each is checked at
// every size.
func TestBrowserSignOutPages(t *testing.T) {
	ctx := browsertest.Chromium(t, 2*time.Minute)
	e := newEnv(t)
	signInChromium(t, ctx, e, adminUser)
	err := chromedp.Do(ctx,
		chromedp.Click(`form[action$="/logout"] button`),
		chromedp.WaitVisible(`button[name=confirm][value=yes]`),
		chromedp.Click(`button[name=confirm][value=yes]`),
		chromedp.WaitVisible(`#signed-out`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx); !strings.Contains(got, "Sign in again") {
		t.Fatalf("the signed-out page: %s", got)
	}
	browsertest.CheckPage(t, ctx, "console-signed-out")

	if err := chromedp.Do(ctx, chromedp.Navigate(e.Console+"callback?code=x&state=y"), chromedp.WaitVisible(`#problem`)); err != nil {
		t.Fatal(err)
	}
	browsertest.CheckPage(t, ctx, "console-callback-refused")

	signInChromium(t, ctx, e, adminUser)
	err = chromedp.Do(ctx,
		chromedp.Navigate(e.URL+"/logout"),
		chromedp.WaitVisible(`button[name=confirm][value=yes]`),
		chromedp.Click(`button[name=confirm][value=yes]`),
		chromedp.WaitNotPresent(`button[name=confirm]`),
		chromedp.WaitVisible(`main h1`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx); !strings.Contains(got, "You are signed out") {
		t.Fatalf("the sign-out page: %s", got)
	}
	browsertest.CheckPage(t, ctx, "signin-signed-out")
}
