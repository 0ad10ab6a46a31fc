package authserver_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// TestFederatedUpstreamACR: the upstream Portcullis's user signs in there
// with a password and TOTP (acr mfa); with trust_acr the downstream's ID
// token says the upstream's class, acr mfa, with its own methods, amr
// [fed]; without it, the class of amr [fed] alone.
func TestFederatedUpstreamACR(t *testing.T) {
	for _, tt := range []struct {
		name    string
		trust   bool
		wantACR string
	}{
		{name: "trusted", trust: true, wantACR: "mfa"},
		{name: "not trusted", trust: false, wantACR: mfa.Level([]string{mfa.AMRFederated})},
	} {
		t.Run(tt.name, func(t *testing.T) { upstreamACR(t, tt.trust, tt.wantACR) })
	}
}

func upstreamACR(t *testing.T, trust bool, wantACR string) {
	// The upstream's clock runs a little behind, so that the step addTOTP
	// moves it on leaves its ID tokens issued in the past.
	clk := &clock{t: time.Now().Add(-time.Minute)}
	f := newFederationUp(t, users.FederationRules{CreateUsers: true}, func(c *authserver.Config) { c.Now = clk.Now },
		func(c *authserver.Config) { c.Connectors[0].TrustACR = trust })
	tf := addTOTP(t, f.up, clk)
	b := fedBrowser(t, f.down)
	fl := webFlow(f.down, "openid")
	p := f.upstreamLogin(b, b.continueWith(b.get(fl.authURL()), "up"))
	if !isFactorPage(p) {
		t.Fatalf("want the upstream's factor page, got %d: %s", p.status, p.body)
	}
	form := authservertest.HiddenFields(p.body)
	form.Set("method", "totp")
	form.Set("code", tf.code(0))
	claims := idClaims(t, f.down, fl, b.post(f.up.URL+"/login/factor", form))
	if amr, _ := claims["amr"].([]any); claims["acr"] != wantACR || len(amr) != 1 || amr[0] != "fed" {
		t.Fatalf("acr %v amr %v, want %s [fed]", claims["acr"], claims["amr"], wantACR)
	}
}

// TestFederatedLocalFactor: a user with a TOTP factor here who signs in
// through the upstream (a password there, acr 1fa) is still asked for it;
// the code comes after it, with acr mfa and amr fed, otp, mfa.
func TestFederatedLocalFactor(t *testing.T) {
	clk := &clock{t: time.Now()}
	f := newFederation(t, users.FederationRules{}, func(c *authserver.Config) { c.Now = clk.Now })
	ctx := context.Background()
	local, err := f.down.Store.GetUserByUsername(ctx, f.down.Username)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.down.Store.CreateLink(ctx, store.Link{ConnectorID: "up", Subject: upstreamSubject(t, f), UserID: local.ID, CreatedAt: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	tf := addTOTP(t, f.down, clk)
	b := fedBrowser(t, f.down)
	fl := webFlow(f.down, "openid")
	p := f.signInUpstream(b, fl)
	if !isFactorPage(p) {
		t.Fatalf("after the upstream: %d, want the factor page: %s", p.status, p.body)
	}
	claims := idClaims(t, f.down, fl, b.factor(p, "totp", tf.code(0)))
	amr, _ := claims["amr"].([]any)
	if claims["sub"] != local.ID || claims["acr"] != "mfa" || !slices.Equal(amr, []any{"fed", "otp", "mfa"}) {
		t.Fatalf("sub %v acr %v amr %v, want %s mfa [fed otp mfa]", claims["sub"], claims["acr"], claims["amr"], local.ID)
	}
}
