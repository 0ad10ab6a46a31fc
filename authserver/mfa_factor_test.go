package authserver_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/audittest"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
)

// mfaServer starts a server on clk with an audit log, for the factor
// tests.
func mfaServer(t *testing.T, clk *clock, configure ...func(*authserver.Config)) (*authservertest.Server, *audittest.Log) {
	t.Helper()
	events := &audittest.Log{}
	as := authservertest.New(t, append([]func(*authserver.Config){func(c *authserver.Config) { c.Now, c.Auditor = clk.Now, events }}, configure...)...)
	return as, events
}

// TestTOTPSignIn: a user with a TOTP factor signing in to a client that
// does not require MFA is still asked for it after the password, no code
// is issued before it, and the tokens of the code it yields say acr mfa,
// amr pwd otp mfa and the sign-in time, in the ID token, the access token
// and introspection.
func TestTOTPSignIn(t *testing.T) {
	clk := &clock{t: time.Now()}
	as, events := mfaServer(t, clk)
	tf := addTOTP(t, as, clk)
	b := newBrowser(t, as)
	f := webFlow(as, "openid", "read:users")
	p := b.toFactor(f)
	if len(as.Callbacks()) != 0 {
		t.Fatalf("a code before the factor: %v", as.Callbacks())
	}
	tok, err := f.exchange(f.code(t, as, b.factor(p, "totp", tf.code(0)).location(t)))
	if err != nil {
		t.Fatal(err)
	}
	want := signInClaims{ACR: "mfa", AMR: []string{"pwd", "otp", "mfa"}, AuthTime: clk.Now().Unix()}
	check := func(name string, got signInClaims) {
		t.Helper()
		if got.ACR != want.ACR || !slices.Equal(got.AMR, want.AMR) || got.AuthTime != want.AuthTime {
			t.Errorf("%s: %+v, want %+v", name, got, want)
		}
	}
	check("ID token", idTokenClaims(t, tok.Extra("id_token").(string)))
	at := verify(t, as.URL, tok.AccessToken)
	check("access token", signInClaims{ACR: at.ACR, AMR: at.AMR, AuthTime: at.AuthTime.Time().Unix()})
	check("introspection", introspected(t, as, tok.AccessToken))
	if used := events.OfType(audit.FactorUsed); len(used) != 1 || used[0].Detail["kind"] != "totp" {
		t.Errorf("factor_used events: %+v", used)
	}
}

// TestTOTPRefused: a wrong code gets the factor page again, audited as
// factor_failed; repeated failures are throttled with a 429 page and
// Retry-After, audited too, and then even the right code waits.
func TestTOTPRefused(t *testing.T) {
	clk := &clock{t: time.Now()}
	as, events := mfaServer(t, clk, frozenThrottles)
	tf := addTOTP(t, as, clk)
	b := newBrowser(t, as)
	p := b.toFactor(webFlow(as, "openid"))
	wrong := "000000"
	if wrong == tf.code(0) || wrong == tf.code(-1) || wrong == tf.code(1) {
		wrong = "999999"
	}
	p = b.factor(p, "totp", wrong)
	if !isFactorPage(p) || p.status != http.StatusOK || !strings.Contains(p.body, "Wrong code") {
		t.Fatalf("wrong code: %d %s", p.status, p.body)
	}
	for range 10 {
		if p = b.factor(p, "totp", wrong); p.status == http.StatusTooManyRequests {
			break
		}
	}
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
		t.Fatalf("repeated wrong codes: %d (Retry-After %q), want 429", p.status, p.header.Get("Retry-After"))
	}
	if p = b.factor(p, "totp", tf.code(0)); p.status != http.StatusTooManyRequests {
		t.Errorf("the right code while throttled: %d, want 429", p.status)
	}
	failed := events.OfType(audit.FactorFailed)
	reasons := map[any]int{}
	for _, e := range failed {
		reasons[e.Detail["reason"]]++
		if e.Subject == "" {
			t.Errorf("factor_failed without its user: %+v", e)
		}
	}
	if reasons["wrong code"] == 0 || reasons["throttled"] == 0 {
		t.Errorf("factor_failed reasons %v, want wrong code and throttled", reasons)
	}
	if len(as.Callbacks()) != 0 {
		t.Errorf("a code was issued: %v", as.Callbacks())
	}
}

// TestTOTPReuse: a code accepted once is refused to a second sign-in
// within its step (RFC 6238 section 5.2), and of eight sign-ins posting
// one valid code at once exactly one goes on.
func TestTOTPReuse(t *testing.T) {
	clk := &clock{t: time.Now()}
	as, _ := mfaServer(t, clk)
	tf := addTOTP(t, as, clk)

	first := newBrowser(t, as)
	first.factor(first.toFactor(webFlow(as, "openid")), "totp", tf.code(0)).location(t)
	second := newBrowser(t, as)
	p := second.factor(second.toFactor(webFlow(as, "openid")), "totp", tf.code(0))
	if !isFactorPage(p) || !strings.Contains(p.body, "already used") {
		t.Fatalf("the same code again: %d %s", p.status, p.body)
	}

	clk.Add(30 * time.Second)
	const n = 8
	pages := make([]page, n)
	browsers := make([]*browser, n)
	for i := range n {
		browsers[i] = newBrowser(t, as)
		pages[i] = browsers[i].toFactor(webFlow(as, "openid"))
	}
	code := tf.code(0)
	results := make([]page, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = browsers[i].factor(pages[i], "totp", code) })
	}
	wg.Wait()
	advanced := 0
	for i, r := range results {
		switch {
		case r.status == http.StatusSeeOther && strings.HasPrefix(r.header.Get("Location"), as.App.URL):
			advanced++
		case r.status >= 500:
			t.Errorf("sign-in %d: %d", i, r.status)
		}
	}
	if advanced != 1 {
		t.Errorf("%d sign-ins went on with one code, want 1", advanced)
	}
}

// TestTOTPDrift: a code of the step before or after now is accepted (one
// step of drift), two steps away is refused.
func TestTOTPDrift(t *testing.T) {
	tests := []struct {
		name  string
		steps int
		ok    bool
	}{
		{"one step behind", -1, true},
		{"one step ahead", 1, true},
		{"two steps behind", -2, false},
		{"two steps ahead", 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: time.Now()}
			as, _ := mfaServer(t, clk)
			tf := addTOTP(t, as, clk)
			clk.Add(30 * time.Second) // the step behind is after the enrolment's
			b := newBrowser(t, as)
			p := b.factor(b.toFactor(webFlow(as, "openid")), "totp", tf.code(tt.steps))
			if got := p.status == http.StatusSeeOther; got != tt.ok {
				t.Errorf("accepted %v (%d), want %v: %s", got, p.status, tt.ok, p.body)
			}
		})
	}
}

// TestRecoveryCodeSignIn: a recovery code stands in for the TOTP code
// once; its second use is refused; its use is audited as
// recovery_code_used.
func TestRecoveryCodeSignIn(t *testing.T) {
	clk := &clock{t: time.Now()}
	as, events := mfaServer(t, clk)
	addTOTP(t, as, clk)
	codes := addRecoveryCodes(t, as)

	b := newBrowser(t, as)
	f := webFlow(as, "openid")
	p := b.factor(b.toFactor(f), "recovery", " "+codes[3]+" ")
	tok, err := f.exchange(f.code(t, as, p.location(t)))
	if err != nil {
		t.Fatal(err)
	}
	if c := idTokenClaims(t, tok.Extra("id_token").(string)); c.ACR != "mfa" || !slices.Equal(c.AMR, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("ID token after a recovery code: %+v", c)
	}
	again := newBrowser(t, as)
	p = again.factor(again.toFactor(webFlow(as, "openid")), "recovery", codes[3])
	if !isFactorPage(p) || p.status != http.StatusOK || !strings.Contains(p.body, "Wrong or used recovery code") {
		t.Errorf("the used recovery code again: %d %s", p.status, p.body)
	}
	if used := events.OfType(audit.RecoveryCodeUsed); len(used) != 1 {
		t.Errorf("%d recovery_code_used events, want 1", len(used))
	}
	if failed := events.OfType(audit.FactorFailed); len(failed) != 1 || failed[0].Detail["kind"] != "recovery" {
		t.Errorf("factor_failed events: %+v", failed)
	}
}

// TestStepUp: a session signed in with the password alone (before the
// user had a factor), asked for acr_values=mfa, proves only the factor,
// no password; the token says acr mfa with a new auth_time.
func TestStepUp(t *testing.T) {
	clk := &clock{t: time.Now()}
	as, _ := mfaServer(t, clk)
	b := newBrowser(t, as)
	b.signIn(webFlow(as, "openid"))
	tf := addTOTP(t, as, clk)
	f := webFlow(as, "openid")
	p := b.get(f.authURL(oauth2.SetAuthURLParam("acr_values", "mfa")))
	if !isFactorPage(p) {
		t.Fatalf("step-up: %d, want the factor page alone: %s", p.status, p.body)
	}
	tok, err := f.exchange(f.code(t, as, b.factor(p, "totp", tf.code(0)).location(t)))
	if err != nil {
		t.Fatal(err)
	}
	if c := idTokenClaims(t, tok.Extra("id_token").(string)); c.ACR != "mfa" || c.AuthTime != clk.Now().Unix() {
		t.Errorf("stepped-up ID token: %+v, want acr mfa and auth_time %d", c, clk.Now().Unix())
	}
	// The raised session now meets mfa without a page.
	b.signIn(webFlow(as, "openid"), oauth2.SetAuthURLParam("acr_values", "mfa"))
}

// TestFreshSignInWithFactor: prompt=login and max_age=0 ask for the
// password again (and then the factor) of a session that has both;
// prompt=none with a factor still to prove answers interaction_required.
func TestFreshSignInWithFactor(t *testing.T) {
	clk := &clock{t: time.Now()}
	as, _ := mfaServer(t, clk)
	tf := addTOTP(t, as, clk)
	b := newBrowser(t, as)
	b.factor(b.toFactor(webFlow(as, "openid")), "totp", tf.code(0)).location(t)
	for _, opt := range []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0")} {
		clk.Add(31 * time.Second)
		f := webFlow(as, "openid")
		p := b.toFactor(f, opt)
		f.code(t, as, b.factor(p, "totp", tf.code(0)).location(t))
	}

	// A session signed in with the password alone: prompt=none cannot
	// ask for the factor.
	fresh := newBrowser(t, as)
	fresh.toFactor(webFlow(as, "openid"))
	p := fresh.get(webFlow(as, "openid").authURL(oauth2.SetAuthURLParam("prompt", "none")))
	if q := p.location(t).Query(); q.Get("error") != "interaction_required" {
		t.Errorf("prompt=none with a factor to prove: %v, want interaction_required", q)
	}
}
