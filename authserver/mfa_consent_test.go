package authserver_test

import (
	"testing"
	"time"
)

// TestConsentDeclineNeedsNoFactor: a user who gains a factor while the
// consent page is open and declines is not asked for the factor first:
// the client gets access_denied at once.
func TestConsentDeclineNeedsNoFactor(t *testing.T) {
	clk := &clock{t: time.Now()}
	as, _ := mfaServer(t, clk)
	b := newBrowser(t, as)
	f := newFlow(as, as.SPAClientID, "", "openid")
	p := b.login(b.get(f.authURL()), as.Username, as.Password)
	addTOTP(t, as, clk)
	p = b.consent(p, "deny")
	if isFactorPage(p) {
		t.Fatalf("declining asked for the factor: %s", p.body)
	}
	if q := p.location(t).Query(); q.Get("error") != "access_denied" {
		t.Errorf("declined: %v, want access_denied", q)
	}
}
