package signin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/mfa"
)

// TestAccountLastFactorTakesRecoveryCodes: without mfa.required, removing
// the only factor from the account page removes the recovery codes with
// it (the page says none are left), and adding a factor again shows new
// codes at once. The notice after the removal says that the sessions the
// factor proved stay signed in.
func TestAccountLastFactorTakesRecoveryCodes(t *testing.T) {
	c := newClock()
	as, _ := accountServer(t, c, false)
	b := signIn(t, as)
	if _, first := b.enrolTOTP(c, "Phone"); len(recoveryCodes(first)) != mfa.RecoveryCodeCount {
		t.Fatalf("first factor: no recovery codes: %s", first)
	}
	_, page, _ := b.get("/account")
	status, body, loc := b.post("/account/factors/remove", formFields(t, page, "account/factors/remove", 0))
	if status != http.StatusSeeOther {
		t.Fatalf("remove the only factor: %d to %q: %s", status, loc, body)
	}
	if _, notice, _ := b.get(strings.TrimPrefix(loc, as.URL)); !strings.Contains(notice, "Sessions it proved stay signed in") {
		t.Errorf("the notice after a removal does not say the sessions stay: %s", notice)
	}
	u, _ := as.Store.GetUserByUsername(context.Background(), as.Username)
	if n, err := as.Store.CountRecoveryCodes(context.Background(), u.ID); err != nil || n != 0 {
		t.Fatalf("recovery codes after the last factor went: %d, %v; want 0", n, err)
	}
	if _, page, _ = b.get("/account"); !strings.Contains(page, "You have no unused recovery codes.") {
		t.Errorf("account page after the last factor went: %s", page)
	}
	c.Advance(time.Minute)
	if _, again := b.enrolTOTP(c, "New phone"); len(recoveryCodes(again)) != mfa.RecoveryCodeCount {
		t.Errorf("a factor again: no new recovery codes: %s", again)
	}
}
