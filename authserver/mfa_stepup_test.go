package authserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/store"
)

// TestPhishingResistantWithTOTPOnly: acr_values=phr cannot be met by a
// TOTP code. A user who has only TOTP proves it (so that a password
// alone cannot add a passkey), is then sent to enrol a passkey and
// comes back to the sign-in; no code is issued meanwhile, and the
// enrolment itself raises nothing (TestPasskeyEnrolmentIsNotPhishingResistant
// runs the rest in a browser: the factor page then asks for the new
// passkey). Where passkeys are not accepted the client gets
// access_denied.
func TestPhishingResistantWithTOTPOnly(t *testing.T) {
	phr := oauth2.SetAuthURLParam("acr_values", "phr")
	t.Run("passkeys accepted", func(t *testing.T) {
		clk := &clock{t: time.Now()}
		as, _ := mfaServer(t, clk, func(c *authserver.Config) { c.MFA.RPID = "localhost" })
		tf := addTOTP(t, as, clk)
		b := stopAtRedirects(newBrowser(t, as))
		p := b.get(webFlow(as, "openid").authURL(phr))
		p = b.login(p, as.Username, as.Password)
		if !isFactorPage(p) || strings.Contains(p.body, "data-passkey") {
			t.Fatalf("after the password: %d, want the factor page without a passkey form: %s", p.status, p.body)
		}
		p = b.factor(p, "totp", tf.code(0))
		loc, _ := url.Parse(p.header.Get("Location"))
		if p.status != http.StatusSeeOther || loc.Path != "/account/enrol" || loc.Query().Get("kind") != store.FactorPasskey ||
			!strings.HasPrefix(loc.Query().Get("return"), "/authorize/resume?") {
			t.Fatalf("after the code: %d to %q, want the passkey enrolment", p.status, loc)
		}
		if e := b.get(loc.String()); e.status != http.StatusOK || !strings.Contains(e.body, `data-passkey="create"`) {
			t.Errorf("passkey enrolment page: %d %s", e.status, e.body)
		}
		if len(as.Callbacks()) != 0 {
			t.Errorf("a code was issued: %v", as.Callbacks())
		}
	})
	t.Run("passkeys not accepted", func(t *testing.T) {
		clk := &clock{t: time.Now()}
		as, _ := mfaServer(t, clk, func(c *authserver.Config) { c.MFA.Allowed = []string{store.FactorTOTP} })
		tf := addTOTP(t, as, clk)
		b := newBrowser(t, as)
		p := b.factor(b.toFactor(webFlow(as, "openid"), phr), "totp", tf.code(0))
		if q := p.location(t).Query(); q.Get("error") != "access_denied" {
			t.Errorf("phr without passkeys: %v, want access_denied", q)
		}
	})
}

// TestAccountNeedsTheFactor: a session that proved the password but not
// its user's factor (the factor page left) gets no account page and
// cannot enrol a factor of its own: it is asked for the factor first.
func TestAccountNeedsTheFactor(t *testing.T) {
	clk := &clock{t: time.Now()}
	as, _ := mfaServer(t, clk)
	tf := addTOTP(t, as, clk)
	b := newBrowser(t, as)
	b.toFactor(webFlow(as, "openid"))
	for _, path := range []string{"/account", "/account/enrol?kind=totp"} {
		if p := b.get(as.URL + path); !isFactorPage(p) {
			t.Fatalf("%s with the password alone: %d, want the factor page: %s", path, p.status, p.body)
		}
	}
	// The factor proved, the page asked for follows.
	p := b.factor(b.get(as.URL+"/account/enrol?kind=totp"), "totp", tf.code(0))
	if p.status != http.StatusOK || !strings.Contains(p.body, "otpauth") && !strings.Contains(p.body, "QR") {
		t.Errorf("after the factor: %d, want the TOTP enrolment page: %s", p.status, p.body)
	}
}
