package signin_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/store"
)

// TestAccountTOTP enrols an authenticator app from the account page with
// an injected clock: a wrong code is refused on the same page, the right
// one adds the factor, raises the session to mfa and shows 10 recovery
// codes once, which the store keeps as digests only; posting the page
// again adds nothing; the secret and the codes never reach the log.
func TestAccountTOTP(t *testing.T) {
	c := newClock()
	as, logs := accountServer(t, c, false)
	b := signIn(t, as)
	ctx := context.Background()

	status, body, _ := b.get("/account")
	if status != http.StatusOK || !strings.Contains(body, "password only") || !strings.Contains(body, "(this browser)") {
		t.Fatalf("account page: %d %s", status, body)
	}
	resp, err := b.c.Get(as.URL + "/account/enrol?kind=totp")
	if err != nil {
		t.Fatal(err)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	status, body, _ = answer(t, resp)
	if status != http.StatusOK || !strings.Contains(csp, "img-src 'self' data:") || !strings.Contains(body, `src="data:image/png;base64,`) {
		t.Fatalf("enrol page: %d, policy %q: %s", status, csp, body)
	}
	secret := strings.ReplaceAll(secretRE.FindStringSubmatch(body)[1], " ", "")
	form := formFields(t, body, "account/enrol/totp", 0)
	form.Set("name", "Phone")
	wrong := code(t, secret, c.Now().Add(5*time.Minute))
	form.Set("code", wrong)
	status, body, _ = b.post("/account/enrol/totp", form)
	if status != http.StatusBadRequest || !strings.Contains(body, "not right") || formFields(t, body, "account/enrol/totp", 0).Get("enrolment") != form.Get("enrolment") {
		t.Fatalf("wrong code: %d %s", status, body)
	}
	right := code(t, secret, c.Now())
	form.Set("code", right)
	status, body, _ = b.post("/account/enrol/totp", form)
	codes := recoveryCodes(body)
	if status != http.StatusOK || len(codes) != mfa.RecoveryCodeCount || !strings.Contains(body, "I saved them") {
		t.Fatalf("confirm: %d, %d codes: %s", status, len(codes), body)
	}
	if status, _, _ := b.post("/account/enrol/totp", form); status != http.StatusConflict {
		t.Errorf("the same page posted again: %d, want 409", status)
	}

	u, err := as.Store.GetUserByUsername(ctx, as.Username)
	if err != nil {
		t.Fatal(err)
	}
	factors, err := as.Store.ListFactors(ctx, u.ID)
	if err != nil || len(factors) != 1 || factors[0].Kind != store.FactorTOTP || factors[0].Name != "Phone" {
		t.Fatalf("factors %+v, %v", factors, err)
	}
	if strings.Contains(string(factors[0].Data), secret) {
		t.Error("the TOTP secret is stored in the clear")
	}
	sessions, err := as.Store.ListSessions(ctx, u.ID, c.Now())
	if err != nil || len(sessions) != 1 || !slices.Contains(sessions[0].AMR, mfa.AMROTP) || sessions[0].ACR != mfa.ACRMultiFactor || !sessions[0].AuthTime.Equal(c.Now()) {
		t.Fatalf("session after enrolment %+v, %v; want otp, mfa, auth_time now", sessions, err)
	}
	// Stored as digests: a code is found by its digest, once.
	if err := as.Store.UseRecoveryCode(ctx, u.ID, mfa.HashRecoveryCode(codes[0]), c.Now()); err != nil {
		t.Errorf("use a shown code: %v", err)
	}
	if err := as.Store.UseRecoveryCode(ctx, u.ID, codes[1], c.Now()); err == nil {
		t.Error("a code is stored as itself, want its digest")
	}
	_, body, _ = b.get("/account")
	if !strings.Contains(body, "Phone") || !strings.Contains(body, "9 unused recovery codes") || strings.Contains(body, codes[2]) {
		t.Errorf("account page after enrolment: %s", body)
	}
	for _, s := range append([]string{secret, right, wrong}, codes...) {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log holds a secret or code %q", s)
		}
	}
	if !strings.Contains(logs.String(), "factor_added") || !strings.Contains(logs.String(), "recovery_codes_created") {
		t.Errorf("enrolment not audited: %s", logs.String())
	}
}

// TestAccountChanges renames and removes factors, makes new recovery
// codes, refuses removing the last factor under mfa.required, and sends a
// change made more than 10 minutes after the sign-in to sign in again
// (password and factor), after which the change goes through.
func TestAccountChanges(t *testing.T) {
	c := newClock()
	as, logs := accountServer(t, c, true)
	b, _, _, _ := enrolOnSignIn(t, as, c, "Phone")
	c.Advance(time.Minute)
	tablet, _ := b.enrolTOTP(c, "Tablet")
	ctx := context.Background()
	u, _ := as.Store.GetUserByUsername(ctx, as.Username)
	names := func() []string {
		fs, err := as.Store.ListFactors(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range fs {
			out = append(out, f.Name)
		}
		return out
	}

	_, page, _ := b.get("/account")
	form := formFields(t, page, "account/factors/rename", 0)
	form.Set("name", "Old phone")
	if status, _, loc := b.post("/account/factors/rename", form); status != http.StatusSeeOther || !strings.HasSuffix(loc, "/account?done=renamed") {
		t.Fatalf("rename: %d to %q", status, loc)
	}
	if got := names(); !slices.Equal(got, []string{"Old phone", "Tablet"}) {
		t.Fatalf("names %v after rename", got)
	}

	_, page, _ = b.get("/account")
	if status, body, _ := b.post("/account/recovery", formFields(t, page, "account/recovery", 0)); status != http.StatusOK || len(recoveryCodes(body)) != mfa.RecoveryCodeCount {
		t.Fatalf("new recovery codes: %d %s", status, body)
	}

	if status, _, _ := b.post("/account/factors/remove", formFields(t, page, "account/factors/remove", 0)); status != http.StatusSeeOther {
		t.Fatalf("remove the first of two: %d", status)
	}
	_, page, _ = b.get("/account")
	status, body, _ := b.post("/account/factors/remove", formFields(t, page, "account/factors/remove", 0))
	if status != http.StatusConflict || !strings.Contains(body, "only second factor") {
		t.Fatalf("remove the last under mfa.required: %d %s", status, body)
	}
	if got := names(); !slices.Equal(got, []string{"Tablet"}) {
		t.Fatalf("names %v after removals", got)
	}

	c.Advance(11 * time.Minute)
	form = formFields(t, page, "account/factors/rename", 0)
	form.Set("name", "Too late")
	status, body, loc := b.post("/account/factors/rename", form)
	if status != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Fatalf("rename outside the sudo window: %d to %q, want the login page: %s", status, loc, body)
	}
	if got := names(); !slices.Equal(got, []string{"Tablet"}) {
		t.Errorf("names %v after a rename outside the sudo window", got)
	}
	// Signing in again (password, then the factor) returns to the account
	// page, whose changes then go through.
	login := formFields(t, body, "login", 0)
	login.Set("username", as.Username)
	login.Set("password", as.Password)
	status, body, loc = b.post("/login", login)
	if status == http.StatusSeeOther {
		status, body, loc = b.get(strings.TrimPrefix(loc, as.URL))
	}
	if status != http.StatusOK {
		t.Fatalf("password again: %d to %q: %s", status, loc, body)
	}
	proof := formFields(t, body, "login/factor", 0)
	if proof.Get("method") == "passkey" {
		proof = formFields(t, body, "login/factor", 1)
	}
	proof.Set("code", code(t, tablet, c.Now()))
	if status, body, loc = b.post("/login/factor", proof); status != http.StatusSeeOther || loc != as.URL+"/account" {
		t.Fatalf("factor again: %d to %q, want the account page: %s", status, loc, body)
	}
	_, page, _ = b.get("/account")
	form = formFields(t, page, "account/factors/rename", 0)
	form.Set("name", "Tablet 2")
	if status, _, loc := b.post("/account/factors/rename", form); status != http.StatusSeeOther || !strings.HasSuffix(loc, "/account?done=renamed") {
		t.Fatalf("rename after signing in again: %d to %q", status, loc)
	}
	if got := names(); !slices.Equal(got, []string{"Tablet 2"}) {
		t.Errorf("names %v after signing in again", got)
	}
	for _, typ := range []string{"factor_renamed", "factor_removed", "recovery_codes_created"} {
		if !strings.Contains(logs.String(), typ) {
			t.Errorf("no %s in the log", typ)
		}
	}
}

// TestAccountEndSession ends another browser's session from the account
// page: the session is gone and the grant issued in it revoked.
func TestAccountEndSession(t *testing.T) {
	c := newClock()
	as, logs := accountServer(t, c, false)
	ctx := context.Background()
	other := signIn(t, as)
	c.Advance(time.Second)
	b := signIn(t, as)
	u, _ := as.Store.GetUserByUsername(ctx, as.Username)
	sessions, _ := as.Store.ListSessions(ctx, u.ID, c.Now())
	if len(sessions) != 2 {
		t.Fatalf("%d sessions, want 2", len(sessions))
	}
	mine, theirs := sessions[0], sessions[1] // the most recent first

	_, page, _ := b.get("/account")
	form := formFields(t, page, "account/sessions/end", 0)
	if form.Get("sid") != theirs.SID {
		t.Fatalf("the End button names %q, want the other session %q", form.Get("sid"), theirs.SID)
	}
	if status, _, _ := b.post("/account/sessions/end", form); status != http.StatusSeeOther {
		t.Fatalf("end: %d", status)
	}
	left, _ := as.Store.ListSessions(ctx, u.ID, c.Now())
	if len(left) != 1 || left[0].SID != mine.SID {
		t.Fatalf("sessions left %+v", left)
	}
	grants, err := as.Store.ListGrants(ctx, store.GrantFilter{UserID: u.ID, Live: true, Now: c.Now(), Limit: 10})
	if err != nil || len(grants) != 1 || grants[0].SessionID != mine.SID {
		t.Fatalf("live grants %+v, %v: want only this session's", grants, err)
	}
	// Without its session the browser is asked to sign in again.
	if status, body, loc := other.get("/account"); strings.Contains(body, "Your account") || !strings.Contains(body, `name="password"`) {
		t.Errorf("the ended session still opens the account page (%d %q): %s", status, loc, body)
	}
	if !strings.Contains(logs.String(), "session_ended") {
		t.Error("no session_ended in the log")
	}
}

// TestAccountBadInput posts every form of the account pages with a
// missing or foreign CSRF token (403) and with bad values (4xx, never
// 5xx), and refuses a return address that is not a sign-in of this server.
func TestAccountBadInput(t *testing.T) {
	c := newClock()
	as, _ := accountServer(t, c, false)
	signIn(t, as) // another session, for the page's End form
	b := signIn(t, as)
	b.enrolTOTP(c, "Phone")
	_, page, _ := b.get("/account")
	_, totpPage, _ := b.get("/account/enrol?kind=totp")
	rename, remove := formFields(t, page, "account/factors/rename", 0), formFields(t, page, "account/factors/remove", 0)
	recovery, enrol := formFields(t, page, "account/recovery", 0), formFields(t, totpPage, "account/enrol/totp", 0)
	with := func(f url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, v := range f {
			out[k] = slices.Clone(v)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	tests := []struct {
		name, path string
		form       url.Values
		status     int
	}{
		{"rename without token", "/account/factors/rename", with(rename, "csrf", "", "name", "x"), 403},
		{"rename with the remove form's token", "/account/factors/rename", with(rename, "csrf", remove.Get("csrf"), "name", "x"), 403},
		{"remove with a forged token", "/account/factors/remove", with(remove, "csrf", "AAAA"), 403},
		{"recovery without token", "/account/recovery", url.Values{}, 403},
		{"end session without token", "/account/sessions/end", url.Values{"sid": {"x"}}, 403},
		{"enrol totp without token", "/account/enrol/totp", with(enrol, "csrf", "", "code", "123456"), 403},
		{"enrol passkey without token", "/account/enrol/passkey", url.Values{"response": {"{}"}}, 403},
		{"rename to nothing", "/account/factors/rename", with(rename, "name", "  "), 400},
		{"rename too long", "/account/factors/rename", with(rename, "name", strings.Repeat("n", 65)), 400},
		{"rename with a control character", "/account/factors/rename", with(rename, "name", "a\x00b"), 400},
		{"rename with invalid UTF-8", "/account/factors/rename", with(rename, "name", "a\xffb"), 400},
		{"rename an unknown factor", "/account/factors/rename", with(rename, "id", "nope", "name", "x"), 404},
		{"remove an unknown factor", "/account/factors/remove", with(remove, "id", "nope"), 404},
		{"end an unknown session", "/account/sessions/end", with(recovery, "csrf", formFields(t, page, "account/sessions/end", 0).Get("csrf"), "sid", "nope"), 404},
		{"totp with a tampered enrolment", "/account/enrol/totp", with(enrol, "enrolment", "AAAA", "code", "123456"), 400},
		{"totp with letters", "/account/enrol/totp", with(enrol, "code", "abcdef"), 400},
		{"totp with a long name", "/account/enrol/totp", with(enrol, "code", "123456", "name", strings.Repeat("n", 65)), 400},
		{"totp returning elsewhere", "/account/enrol/totp", with(enrol, "code", "123456", "return", "https://evil.example/"), 400},
		{"body over the limit", "/account/factors/rename", with(rename, "name", strings.Repeat("n", 70<<10)), 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, _ := b.post(tt.path, tt.form)
			if status != tt.status {
				t.Errorf("%d, want %d: %s", status, tt.status, body)
			}
		})
	}
	for _, ret := range []string{"https://evil.example/", "//evil.example/authorize/resume?x", "/authorize?x", "/authorize/resume/../../x?", "/authorize/resume?\\evil", "javascript:alert(1)"} {
		if status, _, _ := b.get("/account/enrol?kind=totp&return=" + url.QueryEscape(ret)); status != http.StatusBadRequest {
			t.Errorf("return=%q: %d, want 400", ret, status)
		}
	}
	for _, q := range []string{"kind=sms", "kind=", "kind=totp&kind=passkey"} {
		if status, _, _ := b.get("/account/enrol?" + q); status >= 500 {
			t.Errorf("enrol?%s: %d", q, status)
		}
	}
}
