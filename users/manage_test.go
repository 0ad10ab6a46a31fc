package users

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/sqlite"
)

// TestCreateAndSetPassword: Create refuses a taken username and may make a
// user without a password, whom no password signs in; SetPassword changes
// the hash and revokes the user's grants.
func TestCreateAndSetPassword(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "u.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	u, err := Create(ctx, st, "ada", "", nil, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Create(ctx, st, "ada", "whatever-password", nil, nil, now); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("a taken username: %v, want ErrAlreadyExists", err)
	}
	for _, pw := range []string{"", "anything at all"} {
		if ok, err := VerifyPassword(u.PasswordHash, pw); ok || err != nil {
			t.Errorf("a user without a password verifies %q: %v, %v", pw, ok, err)
		}
	}
	if err := st.CreateGrant(ctx, store.Grant{ID: "g", UserID: u.ID, ClientID: "c", CreatedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	n, err := SetPassword(ctx, st, store.NewCutoff("", u.ID, now, time.Hour), "a new long password", now)
	if err != nil || n != 1 {
		t.Fatalf("SetPassword: %d, %v; want one grant revoked", n, err)
	}
	got, _ := st.GetUser(ctx, u.ID)
	if ok, _ := VerifyPassword(got.PasswordHash, "a new long password"); !ok {
		t.Error("the new password does not verify")
	}
	if _, err := SetPassword(ctx, st, store.NewCutoff("", "nobody", now, time.Hour), "a new long password", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPassword of an unknown user: %v, want ErrNotFound", err)
	}
}
