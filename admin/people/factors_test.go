package people_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/portcullis/portcullis/admin/internal/admintest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// TestFactors: a user's factors are listed oldest first with their
// recovery codes left, never with their state or credential ID; removing
// one removes it alone and is audited; resetting removes the rest and the
// recovery codes, answers the count and is audited; unknown users and
// factors, another user's factor and a reader's token are refused.
func TestFactors(t *testing.T) {
	e := admintest.New(t, admintest.Options{})
	ctx := context.Background()
	st := e.AS.Store
	a, b := e.CreateUser(t, "a"), e.CreateUser(t, "b")
	now := time.Now().Truncate(time.Second).UTC()
	for _, f := range []store.Factor{
		{ID: "f-key", UserID: a.ID, Kind: store.FactorPasskey, Name: "YubiKey", CredentialID: []byte("cred-secret"),
			Data: []byte("pk-secret"), CreatedAt: now.Add(-time.Hour), LastUsedAt: now},
		{ID: "f-totp", UserID: a.ID, Kind: store.FactorTOTP, Name: "Phone", Data: []byte("totp-secret"), CreatedAt: now},
		{ID: "f-b", UserID: b.ID, Kind: store.FactorTOTP, Name: "Phone", Data: []byte("totp-secret"), CreatedAt: now},
	} {
		if err := st.CreateFactor(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.ReplaceRecoveryCodes(ctx, a.ID, []string{"h1", "h2", "h3"}, now); err != nil {
		t.Fatal(err)
	}
	if err := st.UseRecoveryCode(ctx, a.ID, "h1", now); err != nil {
		t.Fatal(err)
	}

	list := e.Must(t, admintest.Req{Method: "GET", Path: "users/" + a.ID + "/factors", Scope: usersR}, http.StatusOK)
	for _, secret := range []string{"secret", "h2", "Y3JlZC1zZWNyZXQ"} { // the last is base64 of the credential ID
		if bytes.Contains(list.Body, []byte(secret)) {
			t.Fatalf("the list shows %q: %s", secret, list.Body)
		}
	}
	var got registry.Factors
	list.Decode(t, &got)
	if len(got.Items) != 2 || got.RecoveryCodesLeft != 2 {
		t.Fatalf("factors %s, want two and 2 recovery codes left", list.Body)
	}
	key, totp := got.Items[0], got.Items[1]
	if key.ID != "f-key" || key.Kind != "passkey" || key.Name != "YubiKey" || !key.CreatedAt.Equal(now.Add(-time.Hour)) ||
		key.LastUsedAt == nil || !key.LastUsedAt.Equal(now) {
		t.Errorf("passkey %+v", key)
	}
	if totp.ID != "f-totp" || totp.Kind != "totp" || totp.LastUsedAt != nil {
		t.Errorf("TOTP %+v, want no last_used_at", totp)
	}
	var none registry.Factors
	e.Must(t, admintest.Req{Method: "GET", Path: "users/" + e.CreateUser(t, "c").ID + "/factors", Scope: usersR}, http.StatusOK).Decode(t, &none)
	if none.Items == nil || len(none.Items) != 0 || none.RecoveryCodesLeft != 0 {
		t.Errorf("a user without factors: %+v, want an empty list", none)
	}

	for _, c := range []struct {
		name, method, path, scope string
		status                    int
	}{
		{"list an unknown user's", "GET", "users/nobody/factors", usersR, http.StatusNotFound},
		{"list with an encoded slash in the id", "GET", "users/a%2Fb/factors", usersR, http.StatusNotFound},
		{"remove another user's factor", "DELETE", "users/" + a.ID + "/factors/f-b", usersW, http.StatusNotFound},
		{"remove an unknown factor", "DELETE", "users/" + a.ID + "/factors/f-none", usersW, http.StatusNotFound},
		{"remove a factor id with odd characters", "DELETE", "users/" + a.ID + "/factors/%27%20OR%201=1", usersW, http.StatusNotFound},
		{"remove an unknown user's", "DELETE", "users/nobody/factors/f-key", usersW, http.StatusNotFound},
		{"reset an unknown user's", "DELETE", "users/nobody/factors", usersW, http.StatusNotFound},
		{"remove with the read scope", "DELETE", "users/" + a.ID + "/factors/f-key", usersR, http.StatusForbidden},
		{"reset with the read scope", "DELETE", "users/" + a.ID + "/factors", usersR, http.StatusForbidden},
		{"list without a token", "GET", "users/" + a.ID + "/factors", "", http.StatusUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.Must(t, admintest.Req{Method: c.method, Path: c.path, Scope: c.scope}, c.status)
			if c.status == http.StatusNotFound {
				r.Problem(t)
			}
		})
	}
	if left, _ := st.ListFactors(ctx, a.ID); len(left) != 2 {
		t.Fatalf("a refused request removed a factor: %d left", len(left))
	}

	e.Must(t, admintest.Req{Method: "DELETE", Path: "users/" + a.ID + "/factors/f-key", Scope: usersW}, http.StatusNoContent)
	if left, _ := st.ListFactors(ctx, a.ID); len(left) != 1 || left[0].ID != "f-totp" {
		t.Fatalf("after removing f-key: %+v", left)
	}
	evs := e.Audit(t, audit.FactorRemoved)
	if len(evs) != 1 || evs[0].Subject != a.ID || evs[0].Detail["factor_id"] != "f-key" || evs[0].Detail["kind"] != "passkey" ||
		evs[0].Detail["actor_client_id"] != "admin" {
		t.Errorf("factor_removed events %+v", evs)
	}
	e.Must(t, admintest.Req{Method: "DELETE", Path: "users/" + a.ID + "/factors/f-key", Scope: usersW}, http.StatusNotFound)

	var reset registry.FactorsReset
	e.Must(t, admintest.Req{Method: "DELETE", Path: "users/" + a.ID + "/factors", Scope: usersW}, http.StatusOK).Decode(t, &reset)
	if reset.Removed != 1 {
		t.Errorf("reset removed %d, want 1", reset.Removed)
	}
	if left, _ := st.ListFactors(ctx, a.ID); len(left) != 0 {
		t.Errorf("factors left after the reset: %+v", left)
	}
	if n, _ := st.CountRecoveryCodes(ctx, a.ID); n != 0 {
		t.Errorf("%d recovery codes left after the reset", n)
	}
	if left, _ := st.ListFactors(ctx, b.ID); len(left) != 1 {
		t.Errorf("another user's factors changed: %+v", left)
	}
	e.Must(t, admintest.Req{Method: "DELETE", Path: "users/" + a.ID + "/factors", Scope: usersW}, http.StatusOK).Decode(t, &reset)
	if reset.Removed != 0 {
		t.Errorf("a second reset removed %d, want 0", reset.Removed)
	}
	evs = e.Audit(t, audit.FactorsReset)
	if len(evs) != 2 || evs[1].Subject != a.ID || evs[1].Detail["removed"] != float64(1) || evs[1].Detail["username"] != "a" {
		t.Errorf("factors_reset events %+v", evs)
	}
}
