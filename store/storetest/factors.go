package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// factorTime is when the tests' factors are enrolled: whole microseconds,
// which both backends keep.
var factorTime = time.Unix(1700000000, 123456000).UTC()

// testFactors: a factor comes back as it was created, a user's factors are
// listed oldest first and apart from other users', a passkey is found by
// its credential ID, a taken ID or credential ID is refused, and
// UpdateFactor changes what it may and keeps what names the factor.
func testFactors(t *testing.T, s store.Store) {
	ctx := context.Background()
	key := store.Factor{ID: "f-key", UserID: "u", Kind: store.FactorPasskey, Name: "YubiKey",
		CredentialID: []byte{1, 2, 3}, Data: []byte(`{"pk":"x"}`), CreatedAt: factorTime}
	totp := store.Factor{ID: "f-totp", UserID: "u", Kind: store.FactorTOTP, Name: "Phone",
		Data: []byte("sealed"), LastStep: 7, CreatedAt: factorTime.Add(time.Second), LastUsedAt: factorTime.Add(time.Minute)}
	other := store.Factor{ID: "f-other", UserID: "v", Kind: store.FactorTOTP, Name: "Phone",
		Data: []byte("sealed"), CreatedAt: factorTime.Add(-time.Hour)}
	for _, f := range []store.Factor{totp, key, other} {
		if err := s.CreateFactor(ctx, f); err != nil {
			t.Fatalf("CreateFactor(%s): %v", f.ID, err)
		}
	}
	tests := []struct {
		name string
		f    store.Factor
	}{
		{"a taken ID", store.Factor{ID: "f-key", UserID: "w", Kind: store.FactorTOTP, Data: []byte("s"), CreatedAt: factorTime}},
		{"another user's credential ID", store.Factor{ID: "f-new", UserID: "w", Kind: store.FactorPasskey,
			CredentialID: []byte{1, 2, 3}, Data: []byte("s"), CreatedAt: factorTime}},
	}
	for _, tt := range tests {
		if err := s.CreateFactor(ctx, tt.f); !errors.Is(err, store.ErrAlreadyExists) {
			t.Errorf("%s: CreateFactor = %v, want ErrAlreadyExists", tt.name, err)
		}
	}

	got, err := s.ListFactors(ctx, "u")
	if err != nil || len(got) != 2 {
		t.Fatalf("ListFactors = %+v, %v; want two factors", got, err)
	}
	if !sameFactor(got[0], key) || !sameFactor(got[1], totp) {
		t.Fatalf("ListFactors = %+v; want %+v then %+v", got, key, totp)
	}
	if none, err := s.ListFactors(ctx, "nobody"); err != nil || len(none) != 0 {
		t.Fatalf("ListFactors of a user without factors = %v, %v", none, err)
	}

	if f, err := s.GetFactorByCredential(ctx, []byte{1, 2, 3}); err != nil || !sameFactor(f, key) {
		t.Fatalf("GetFactorByCredential = %+v, %v; want %+v", f, err, key)
	}
	for _, id := range [][]byte{{9}, nil} {
		if _, err := s.GetFactorByCredential(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetFactorByCredential(%x) = %v, want ErrNotFound", id, err)
		}
	}

	used := factorTime.Add(2 * time.Minute)
	err = s.UpdateFactor(ctx, "u", "f-totp", func(f *store.Factor) error {
		f.Name, f.Data, f.LastStep, f.LastUsedAt = "Old phone", []byte("resealed"), 9, used
		f.ID, f.UserID, f.Kind = "f-moved", "v", store.FactorPasskey // ignored: they name the factor
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateFactor: %v", err)
	}
	want := totp
	want.Name, want.Data, want.LastStep, want.LastUsedAt = "Old phone", []byte("resealed"), 9, used
	if got, _ := s.ListFactors(ctx, "u"); len(got) != 2 || !sameFactor(got[1], want) {
		t.Fatalf("after UpdateFactor: %+v; want %+v", got, want)
	}
	updates := []struct {
		name, user, id string
		update         func(*store.Factor) error
		want           error
	}{
		{"another user's factor", "u", "f-other", func(*store.Factor) error { return nil }, store.ErrNotFound},
		{"an unknown factor", "u", "f-none", func(*store.Factor) error { return nil }, store.ErrNotFound},
		{"a refusing update", "u", "f-totp", func(f *store.Factor) error { f.Name = "lost"; return errVeto }, errVeto},
	}
	for _, tt := range updates {
		if err := s.UpdateFactor(ctx, tt.user, tt.id, tt.update); !errors.Is(err, tt.want) {
			t.Errorf("%s: UpdateFactor = %v, want %v", tt.name, err, tt.want)
		}
	}
	if got, _ := s.ListFactors(ctx, "u"); got[1].Name != "Old phone" {
		t.Fatalf("a refused update changed the factor: %+v", got[1])
	}
}

// sameFactor compares factors field by field, times by instant.
func sameFactor(a, b store.Factor) bool {
	return a.ID == b.ID && a.UserID == b.UserID && a.Kind == b.Kind && a.Name == b.Name &&
		bytes.Equal(a.CredentialID, b.CredentialID) && bytes.Equal(a.Data, b.Data) && a.LastStep == b.LastStep &&
		a.CreatedAt.Equal(b.CreatedAt) && a.LastUsedAt.Equal(b.LastUsedAt)
}

// createFactors enrols n TOTP factors for userID, f0 ... fn-1, oldest
// first.
func createFactors(t *testing.T, s store.Store, userID string, n int) {
	t.Helper()
	for i := range n {
		f := store.Factor{ID: fmt.Sprintf("%s-f%d", userID, i), UserID: userID, Kind: store.FactorTOTP, Name: "Phone",
			Data: []byte("sealed"), CreatedAt: factorTime.Add(time.Duration(i) * time.Second)}
		if err := s.CreateFactor(context.Background(), f); err != nil {
			t.Fatalf("CreateFactor(%s): %v", f.ID, err)
		}
	}
}

// testUpdateFactorConcurrent: many sign-ins present a code of the same
// TOTP step at once; the update refuses a step not after LastStep, so
// exactly one is accepted (RFC 6238 section 5.2).
func testUpdateFactorConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	createFactors(t, s, "u", 1)
	const step = 56666666
	var won, refused atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := s.UpdateFactor(ctx, "u", "u-f0", func(f *store.Factor) error {
				if step <= f.LastStep {
					return errVeto
				}
				f.LastStep = step
				return nil
			})
			switch {
			case err == nil:
				won.Add(1)
			case errors.Is(err, errVeto):
				refused.Add(1)
			default:
				t.Errorf("UpdateFactor: %v", err)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 || refused.Load() != 19 {
		t.Fatalf("%d updates accepted the step and %d refused it; want 1 and 19", won.Load(), refused.Load())
	}
}

// testDeleteFactorConcurrent: a user deletes both of their factors at
// once, each deletion's check refusing to leave none; exactly one
// succeeds, whichever runs first, and one factor remains.
func testDeleteFactorConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	for round := range 5 {
		user := fmt.Sprint("u", round)
		createFactors(t, s, user, 2)
		keep := func(remaining []store.Factor) error {
			if len(remaining) == 0 {
				return errVeto
			}
			return nil
		}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = s.DeleteFactor(ctx, user, fmt.Sprintf("%s-f%d", user, i), keep) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, errVeto):
				t.Fatalf("DeleteFactor: %v", err)
			}
		}
		if left, _ := s.ListFactors(ctx, user); ok != 1 || len(left) != 1 {
			t.Fatalf("round %d: %d deletions succeeded, %d factors left; want 1 and 1", round, ok, len(left))
		}
	}
}

// testDeleteFactor: a deletion's check sees the factors that would
// remain; an unknown or another user's factor is ErrNotFound.
func testDeleteFactor(t *testing.T, s store.Store) {
	ctx := context.Background()
	createFactors(t, s, "u", 3)
	createFactors(t, s, "v", 1)
	var seen []string
	err := s.DeleteFactor(ctx, "u", "u-f1", func(remaining []store.Factor) error {
		for _, f := range remaining {
			seen = append(seen, f.ID)
		}
		return nil
	})
	if err != nil || fmt.Sprint(seen) != "[u-f0 u-f2]" {
		t.Fatalf("DeleteFactor = %v, check saw %v; want nil and [u-f0 u-f2]", err, seen)
	}
	tests := []struct {
		name, user, id string
		check          func([]store.Factor) error
		want           error
	}{
		{"the same factor again", "u", "u-f1", nil, store.ErrNotFound},
		{"another user's factor", "u", "v-f0", nil, store.ErrNotFound},
		{"a refusing check", "u", "u-f0", func([]store.Factor) error { return errVeto }, errVeto},
		{"no check", "u", "u-f0", nil, nil},
	}
	for _, tt := range tests {
		if err := s.DeleteFactor(ctx, tt.user, tt.id, tt.check); !errors.Is(err, tt.want) {
			t.Errorf("%s: DeleteFactor = %v, want %v", tt.name, err, tt.want)
		}
	}
	if left, _ := s.ListFactors(ctx, "u"); len(left) != 1 || left[0].ID != "u-f2" {
		t.Fatalf("factors left = %+v; want u-f2", left)
	}
	if left, _ := s.ListFactors(ctx, "v"); len(left) != 1 {
		t.Fatalf("another user's factors changed: %+v", left)
	}
}

// testRecoveryCodes: codes are replaced whole, spent once each, counted
// while unused, and belong to their user alone.
func testRecoveryCodes(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := factorTime
	if err := s.ReplaceRecoveryCodes(ctx, "u", []string{"h1", "h2", "h3"}, now); err != nil {
		t.Fatalf("ReplaceRecoveryCodes: %v", err)
	}
	if err := s.ReplaceRecoveryCodes(ctx, "v", []string{"h1"}, now); err != nil {
		t.Fatalf("ReplaceRecoveryCodes: %v", err)
	}
	tests := []struct {
		name, user, hash string
		want             error
	}{
		{"an unused code", "u", "h1", nil},
		{"the same code again", "u", "h1", store.ErrNotFound},
		{"an unknown code", "u", "h9", store.ErrNotFound},
		{"another user's code", "w", "h2", store.ErrNotFound},
		{"the other user's own code", "v", "h1", nil},
	}
	for _, tt := range tests {
		if err := s.UseRecoveryCode(ctx, tt.user, tt.hash, now); !errors.Is(err, tt.want) {
			t.Errorf("%s: UseRecoveryCode = %v, want %v", tt.name, err, tt.want)
		}
	}
	if n, err := s.CountRecoveryCodes(ctx, "u"); err != nil || n != 2 {
		t.Fatalf("CountRecoveryCodes = %d, %v; want 2", n, err)
	}
	if err := s.ReplaceRecoveryCodes(ctx, "u", []string{"h1", "h4"}, now); err != nil {
		t.Fatalf("ReplaceRecoveryCodes: %v", err)
	}
	if n, _ := s.CountRecoveryCodes(ctx, "u"); n != 2 {
		t.Fatalf("after replacing: %d codes; want 2", n)
	}
	if err := s.UseRecoveryCode(ctx, "u", "h1", now); err != nil {
		t.Fatalf("a replacement code spent before it was replaced: %v", err)
	}
	if err := s.UseRecoveryCode(ctx, "u", "h2", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a replaced code: UseRecoveryCode = %v, want ErrNotFound", err)
	}
	if err := s.ReplaceRecoveryCodes(ctx, "u", nil, now); err != nil {
		t.Fatalf("ReplaceRecoveryCodes(nil): %v", err)
	}
	if n, _ := s.CountRecoveryCodes(ctx, "u"); n != 0 {
		t.Fatalf("after replacing with none: %d codes", n)
	}
}

// testRecoveryCodeConcurrent: many sign-ins spend one code at once;
// exactly one succeeds.
func testRecoveryCodeConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.ReplaceRecoveryCodes(ctx, "u", []string{"h1", "h2"}, factorTime); err != nil {
		t.Fatal(err)
	}
	var won atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			switch err := s.UseRecoveryCode(ctx, "u", "h1", factorTime); {
			case err == nil:
				won.Add(1)
			case !errors.Is(err, store.ErrNotFound):
				t.Errorf("UseRecoveryCode: %v", err)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d uses of one code succeeded, want 1", won.Load())
	}
	if n, _ := s.CountRecoveryCodes(ctx, "u"); n != 1 {
		t.Fatalf("%d codes left, want 1", n)
	}
}

// testDeleteFactors: an administrator's reset removes a user's factors
// and recovery codes, reports how many factors there were, and leaves
// other users' alone; deleting a user does the same.
func testDeleteFactors(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, u := range []string{"u", "v"} {
		createFactors(t, s, u, 2)
		if err := s.ReplaceRecoveryCodes(ctx, u, []string{"h1"}, factorTime); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteFactors(ctx, "u"); err != nil || n != 2 {
		t.Fatalf("DeleteFactors = %d, %v; want 2", n, err)
	}
	if n, err := s.DeleteFactors(ctx, "u"); err != nil || n != 0 {
		t.Fatalf("DeleteFactors again = %d, %v; want 0", n, err)
	}
	if left, _ := s.ListFactors(ctx, "u"); len(left) != 0 {
		t.Fatalf("factors left after the reset: %+v", left)
	}
	if n, _ := s.CountRecoveryCodes(ctx, "u"); n != 0 {
		t.Fatalf("%d recovery codes left after the reset", n)
	}
	if left, _ := s.ListFactors(ctx, "v"); len(left) != 2 {
		t.Fatalf("another user's factors changed: %+v", left)
	}

	if err := s.CreateUser(ctx, store.User{ID: "v", Username: "vera", CreatedAt: factorTime}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, store.NewCutoff("", "v", factorTime, time.Hour), factorTime, nil); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if left, _ := s.ListFactors(ctx, "v"); len(left) != 0 {
		t.Fatalf("a deleted user's factors remain: %+v", left)
	}
	if n, _ := s.CountRecoveryCodes(ctx, "v"); n != 0 {
		t.Fatalf("a deleted user's %d recovery codes remain", n)
	}
}

// testUpdateSession: a live session's AMR, ACR and AuthTime are raised in
// place; its cookie hash, user and SID stay; an expired or unknown
// session is ErrNotFound, and a refusing update changes nothing.
func testUpdateSession(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Unix(1700000000, 0).UTC()
	for _, ss := range []store.Session{
		{IDHash: "h-live", SID: "sid-live", UserID: "u", AuthTime: now.Add(-time.Hour), AMR: []string{"pwd"}, ExpiresAt: now.Add(time.Hour)},
		{IDHash: "h-dead", SID: "sid-dead", UserID: "u", AuthTime: now.Add(-time.Hour), AMR: []string{"pwd"}, ExpiresAt: now.Add(-time.Second)},
	} {
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	err := s.UpdateSession(ctx, "h-live", now, func(ss *store.Session) error {
		if ss.IDHash != "h-live" || ss.SID != "sid-live" {
			t.Errorf("update given %+v", ss)
		}
		ss.AMR, ss.ACR, ss.AuthTime = []string{"pwd", "otp", "mfa"}, "mfa", now
		ss.UserID, ss.SID = "v", "sid-moved" // ignored: they name the session
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateSession: %v", err)
	}
	got, err := s.GetSession(ctx, "h-live", now)
	if err != nil || got.UserID != "u" || got.SID != "sid-live" || got.ACR != "mfa" || len(got.AMR) != 3 || !got.AuthTime.Equal(now) {
		t.Fatalf("after UpdateSession: %+v, %v", got, err)
	}
	tests := []struct {
		name, idHash string
		update       func(*store.Session) error
		want         error
	}{
		{"an expired session", "h-dead", func(*store.Session) error { return nil }, store.ErrNotFound},
		{"an unknown session", "h-none", func(*store.Session) error { return nil }, store.ErrNotFound},
		{"a refusing update", "h-live", func(ss *store.Session) error { ss.ACR = "phr"; return errVeto }, errVeto},
	}
	for _, tt := range tests {
		if err := s.UpdateSession(ctx, tt.idHash, now, tt.update); !errors.Is(err, tt.want) {
			t.Errorf("%s: UpdateSession = %v, want %v", tt.name, err, tt.want)
		}
	}
	if got, _ := s.GetSession(ctx, "h-live", now); got.ACR != "mfa" {
		t.Fatalf("a refused update changed the session: %+v", got)
	}
}
