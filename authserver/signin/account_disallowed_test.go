package signin_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
)

// TestAccountFactorOfDisallowedKind: a user whose only factor is a
// passkey, on a server whose policy now allows only TOTP, signs in with
// the password alone (the passkey cannot be asked for), and that session
// gets neither the account page nor its changes: the passkey it did not
// prove still counts there.
func TestAccountFactorOfDisallowedKind(t *testing.T) {
	c := newClock()
	as := authservertest.New(t, func(cfg *authserver.Config) {
		cfg.Now = c.Now
		enableMFA(t, cfg, false)
		cfg.MFA.Allowed = []string{store.FactorTOTP}
	})
	ctx := context.Background()
	u, err := as.Store.GetUserByUsername(ctx, as.Username)
	if err != nil {
		t.Fatal(err)
	}
	if err := as.Store.CreateFactor(ctx, store.Factor{ID: "key", UserID: u.ID, Kind: store.FactorPasskey, Name: "Key", CredentialID: []byte("key"), CreatedAt: c.Now()}); err != nil {
		t.Fatal(err)
	}
	b := signIn(t, as)
	for _, path := range []string{"/account", "/account/enrol?kind=totp"} {
		if status, body, loc := b.get(path); status != http.StatusForbidden {
			t.Errorf("%s with the password alone: %d to %q, want 403: %s", path, status, loc, body)
		}
	}
	if status, body, _ := b.post("/account/factors/remove", map[string][]string{"id": {"key"}}); status != http.StatusForbidden {
		t.Errorf("remove the passkey with the password alone: %d, want 403: %s", status, body)
	}
	if fs, _ := as.Store.ListFactors(ctx, u.ID); len(fs) != 1 {
		t.Errorf("factors %+v, want the passkey kept", fs)
	}
}
