package authserver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/users"
)

// TestFederatedPromptLogin: after a sign-in through the upstream, a
// request with prompt=login sends the browser to the upstream's login
// page again (prompt=login passed on) rather than through its session,
// and the new code's auth_time is that new sign-in's.
func TestFederatedPromptLogin(t *testing.T) {
	f := newFederation(t, users.FederationRules{CreateUsers: true})
	b := fedBrowser(t, f.down)
	fl := webFlow(f.down, "openid")
	if claims := idClaims(t, f.down, fl, f.signInUpstream(b, fl)); claims["sub"] == "" {
		t.Fatal("no sub")
	}
	fl = webFlow(f.down, "openid")
	started := time.Now().Truncate(time.Second)
	p := b.continueWith(b.get(fl.authURL(oauth2.SetAuthURLParam("prompt", "login"))), "up")
	if !strings.Contains(p.body, `name="password"`) || strings.Contains(p.body, "Continue with Upstream") {
		t.Fatalf("prompt=login: want the upstream's login page again, got %d: %s", p.status, p.body)
	}
	claims := idClaims(t, f.down, fl, f.upstreamLogin(b, p))
	if at, _ := claims["auth_time"].(float64); time.Unix(int64(at), 0).Before(started) {
		t.Fatalf("auth_time %v before the second sign-in at %v", claims["auth_time"], started)
	}
}

// TestFederatedMaxAgeRefused: an upstream sign-in older than the
// request's max_age (the upstream's auth_time, here from a clock behind)
// gets the login page with a message, and no code.
func TestFederatedMaxAgeRefused(t *testing.T) {
	clk := &clock{t: time.Now().Add(-2 * time.Minute)}
	f := newFederationUp(t, users.FederationRules{CreateUsers: true}, func(c *authserver.Config) { c.Now = clk.Now })
	b := fedBrowser(t, f.down)
	fl := webFlow(f.down, "openid")
	p := f.upstreamLogin(b, b.continueWith(b.get(fl.authURL(oauth2.SetAuthURLParam("max_age", "30"))), "up"))
	if p.status != http.StatusOK || !strings.Contains(p.body, "did not ask you to sign in again") || !strings.Contains(p.body, "Continue with Upstream") {
		t.Fatalf("want the login page with the message, got %d: %s", p.status, p.body)
	}
}
