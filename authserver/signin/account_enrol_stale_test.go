package signin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestEnrolStaleSessionKeepsTheSignIn: a session older than the sudo
// window, sent to enrol a factor by an application's sign-in
// (acr_values=mfa), signs in again and comes back to the enrolment page
// with its return to that sign-in, not to the account page.
func TestEnrolStaleSessionKeepsTheSignIn(t *testing.T) {
	c := newClock()
	as, _ := accountServer(t, c, false)
	b := signIn(t, as)
	c.Advance(11 * time.Minute)
	q := url.Values{"response_type": {"code"}, "client_id": {as.WebClientID}, "redirect_uri": {as.RedirectURI}, "scope": {"openid"},
		"state": {"s"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}, "acr_values": {"mfa"}}
	status, body, enrol := b.get("/authorize?" + q.Encode())
	if status != http.StatusSeeOther || !strings.HasPrefix(enrol, as.URL+"/account/enrol?") {
		t.Fatalf("authorize with acr_values=mfa: %d to %q, want the enrolment page: %s", status, enrol, body)
	}
	status, body, _ = b.get(strings.TrimPrefix(enrol, as.URL))
	if status != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Fatalf("enrolment with a stale session: %d, want the login page: %s", status, body)
	}
	login := formFields(t, body, "login", 0)
	login.Set("username", as.Username)
	login.Set("password", as.Password)
	if status, body, loc := b.post("/login", login); status != http.StatusSeeOther || loc != enrol {
		t.Fatalf("signed in again: %d to %q, want back to %q: %s", status, loc, enrol, body)
	}
}
