package authserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/mfa"
)

// totpFactor is a TOTP factor of the test user, made straight in the
// store with mfa.TOTP as enrolment would, whose codes the test computes
// at any step of its clock.
type totpFactor struct {
	secret string
	clk    *clock
}

// addTOTP gives the test user a TOTP factor and moves clk past the step
// its enrolment spent, so the next code is usable.
func addTOTP(t *testing.T, as *authservertest.Server, clk *clock) *totpFactor {
	t.Helper()
	ctx := context.Background()
	u, err := as.Store.GetUserByUsername(ctx, as.Username)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := mfa.NewSealer(as.Config.Secret)
	if err != nil {
		t.Fatal(err)
	}
	tp := &mfa.TOTP{Issuer: "test", Now: clk.Now, Sealer: sealer}
	enr, err := tp.New(as.Username)
	if err != nil {
		t.Fatal(err)
	}
	tf := &totpFactor{secret: enr.Secret, clk: clk}
	f, err := tp.Factor("totp-factor", u.ID, "phone", enr.Secret, tf.code(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := as.Store.CreateFactor(ctx, f); err != nil {
		t.Fatal(err)
	}
	clk.Add(30 * time.Second)
	return tf
}

// code is the factor's code steps steps of 30 seconds from the clock's
// now.
func (f *totpFactor) code(steps int) string {
	at := f.clk.Now().Add(time.Duration(steps) * 30 * time.Second)
	c, err := totp.GenerateCodeCustom(f.secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		panic(err)
	}
	return c
}

// addRecoveryCodes gives the test user new recovery codes and returns
// them.
func addRecoveryCodes(t *testing.T, as *authservertest.Server) []string {
	t.Helper()
	ctx := context.Background()
	u, err := as.Store.GetUserByUsername(ctx, as.Username)
	if err != nil {
		t.Fatal(err)
	}
	codes, hashes := mfa.NewRecoveryCodes()
	if err := as.Store.ReplaceRecoveryCodes(ctx, u.ID, hashes, time.Now()); err != nil {
		t.Fatal(err)
	}
	return codes
}

// isFactorPage reports whether p is the second-factor page, without the
// password form.
func isFactorPage(p page) bool {
	return p.status < 500 && strings.Contains(p.body, `login/factor"`) && !strings.Contains(p.body, `name="password"`)
}

// factor posts code with method on the factor page p.
func (b *browser) factor(p page, method, code string) page {
	b.t.Helper()
	if !isFactorPage(p) {
		b.t.Fatalf("not the factor page (%d): %s", p.status, p.body)
	}
	form := authservertest.HiddenFields(p.body)
	form.Del("state")
	form.Del("response")
	form.Set("method", method)
	form.Set("code", code)
	return b.post(b.as.URL+"/login/factor", form)
}

// toFactor runs f's sign-in with the password up to the factor page.
func (b *browser) toFactor(f *flow, extra ...oauth2.AuthCodeOption) page {
	b.t.Helper()
	p := b.get(f.authURL(extra...))
	p = b.login(p, b.as.Username, b.as.Password)
	if !isFactorPage(p) {
		b.t.Fatalf("after the password: %d, want the factor page: %s", p.status, p.body)
	}
	return p
}

// introspected are the sign-in claims introspection (by the web client)
// gives for token.
func introspected(t *testing.T, as *authservertest.Server, token string) signInClaims {
	t.Helper()
	status, body := postForm(t, as.URL+"/introspect", url.Values{"token": {token}}, basic(as.WebClientID, as.WebClientSecret))
	if status != http.StatusOK || body["active"] != true {
		t.Fatalf("introspect: %d %v", status, body)
	}
	raw, _ := json.Marshal(body)
	var c signInClaims
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// userID is the test user's ID.
func userID(t *testing.T, as *authservertest.Server) string {
	t.Helper()
	u, err := as.Store.GetUserByUsername(context.Background(), as.Username)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
