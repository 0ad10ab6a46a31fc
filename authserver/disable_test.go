package authserver_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/audittest"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// userInfoStatus presents an access token at the UserInfo endpoint and
// returns the status and the WWW-Authenticate challenge.
func userInfoStatus(t *testing.T, as *authservertest.Server, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, as.URL+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
}

// refreshWith presents a refresh token of the web client.
func refreshWith(t *testing.T, as *authservertest.Server, rt string) (int, map[string]any) {
	t.Helper()
	return postForm(t, as.URL+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}},
		basic(as.WebClientID, as.WebClientSecret))
}

// TestDisabledUserRefused sets only the disabled flag, revoking nothing, as
// a request that loaded the user just before users.Disable revoked their
// grants would find it: everything that acts for the user must still
// refuse, on the flag alone.
func TestDisabledUserRefused(t *testing.T) {
	events := &audittest.Log{}
	as := authservertest.New(t, func(c *authserver.Config) { c.Auditor = events })
	ctx := context.Background()
	u, err := as.Store.GetUserByUsername(ctx, as.Username)
	if err != nil {
		t.Fatal(err)
	}
	b, _, tok := signedIn(t, as, "openid", "offline_access")
	// A code issued before the flag, exchanged after it.
	pending := webFlow(as, "openid")
	code := newBrowser(t, as).signIn(pending)

	if err := as.Store.UpdateUser(ctx, u.ID, func(u *store.User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}

	t.Run("sign-in refused with the wrong password message", func(t *testing.T) {
		other := newBrowser(t, as)
		p := other.login(other.get(webFlow(as, "openid").authURL()), as.Username, as.Password)
		if p.status != http.StatusOK || !strings.Contains(p.body, "Wrong username or password.") || p.header.Get("Location") != "" {
			t.Fatalf("sign-in of a disabled user: %d %s", p.status, p.body)
		}
		failed := events.OfType(audit.LoginFailed)
		if len(failed) != 1 || failed[0].Subject != u.ID || failed[0].Detail["reason"] != "disabled" {
			t.Fatalf("login_failed events = %+v, want one for %s with reason disabled", failed, u.ID)
		}
		if n := len(events.OfType(audit.LoginSucceeded)); n != 2 {
			t.Errorf("%d login_succeeded events, want the 2 before disabling", n)
		}
	})
	t.Run("session refused", func(t *testing.T) {
		if p := b.get(webFlow(as, "openid").authURL()); p.status != http.StatusOK || !strings.Contains(p.body, `name="password"`) {
			t.Fatalf("the session of a disabled user still signs in (%d): %s", p.status, p.body)
		}
	})
	t.Run("code exchange refused", func(t *testing.T) {
		status, body := postForm(t, as.URL+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"code_verifier": {pending.verifier}, "redirect_uri": {as.RedirectURI}}, basic(as.WebClientID, as.WebClientSecret))
		if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("code exchange for a disabled user: %d %v, want invalid_grant", status, body)
		}
	})
	t.Run("refresh refused", func(t *testing.T) {
		if status, body := refreshWith(t, as, tok.RefreshToken); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("refresh for a disabled user: %d %v, want invalid_grant", status, body)
		}
	})
	t.Run("userinfo refused", func(t *testing.T) {
		if status, ch := userInfoStatus(t, as, tok.AccessToken); status != http.StatusUnauthorized || !strings.Contains(ch, `error="invalid_token"`) {
			t.Fatalf("userinfo for a disabled user: %d %q, want 401 invalid_token", status, ch)
		}
	})
}

// TestEnableRestoresSignIn disables a signed-in user as users disable
// does, then enables them: they sign in again and get working tokens,
// while everything issued before disabling stays revoked.
func TestEnableRestoresSignIn(t *testing.T) {
	clk := &clock{t: time.Now()}
	as := authservertest.New(t, func(c *authserver.Config) { c.Now = clk.Now })
	ctx := context.Background()
	u, err := as.Store.GetUserByUsername(ctx, as.Username)
	if err != nil {
		t.Fatal(err)
	}
	b, _, old := signedIn(t, as, "openid", "offline_access")

	if n, err := users.Disable(ctx, as.Store, store.NewCutoff("", u.ID, clk.Now(), time.Hour), clk.Now()); err != nil || n != 1 {
		t.Fatalf("Disable = %d, %v; want the one grant revoked", n, err)
	}
	if was, err := users.Enable(ctx, as.Store, u.ID); err != nil || !was {
		t.Fatalf("Enable = %v, %v", was, err)
	}
	// Past the cutoff's second, as users disable waits for.
	clk.Add(2 * time.Second)

	if p := b.get(webFlow(as, "openid").authURL()); !strings.Contains(p.body, `name="password"`) {
		t.Fatal("the session from before disabling survived it")
	}
	f2 := webFlow(as, "openid", "offline_access")
	fresh, err := f2.exchange(b.signIn(f2))
	if err != nil {
		t.Fatalf("sign-in after enabling: %v", err)
	}
	if status, _ := userInfoStatus(t, as, fresh.AccessToken); status != http.StatusOK {
		t.Errorf("userinfo with a token issued after enabling: %d", status)
	}
	if status, body := refreshWith(t, as, fresh.RefreshToken); status != http.StatusOK {
		t.Errorf("refresh of a token issued after enabling: %d %v", status, body)
	}
	if status, _ := userInfoStatus(t, as, old.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("userinfo with a token from before disabling: %d, want 401", status)
	}
	if status, body := refreshWith(t, as, old.RefreshToken); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("refresh of a token from before disabling: %d %v, want invalid_grant", status, body)
	}
}
