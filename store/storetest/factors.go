package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

var errLast = errors.New("the last factor stays")

// testFactors: factors are created, listed oldest first, found by a
// passkey's credential ID, updated and deleted per user; a credential ID
// is unique across users; deleting a user removes its factors and codes.
func testFactors(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Unix(1700000000, 0).UTC()
	totp := store.Factor{ID: "f-totp", UserID: "u", Kind: store.FactorTOTP, Name: "Phone", Data: []byte("sealed"), CreatedAt: now}
	key := store.Factor{ID: "f-key", UserID: "u", Kind: store.FactorPasskey, Name: "Key", CredentialID: []byte{1, 2, 3}, Data: []byte(`{"k":1}`), CreatedAt: now.Add(time.Second)}
	otherTOTP := store.Factor{ID: "f-v", UserID: "v", Kind: store.FactorTOTP, Data: []byte("x"), CreatedAt: now}
	for _, f := range []store.Factor{totp, key, otherTOTP} {
		if err := s.CreateFactor(ctx, f); err != nil {
			t.Fatalf("CreateFactor(%s): %v", f.ID, err)
		}
	}
	dup := []store.Factor{
		{ID: "f-totp", UserID: "v", Kind: store.FactorTOTP, CreatedAt: now},
		{ID: "f-new", UserID: "v", Kind: store.FactorPasskey, CredentialID: []byte{1, 2, 3}, CreatedAt: now},
	}
	for _, f := range dup {
		if err := s.CreateFactor(ctx, f); !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("CreateFactor(%s) taken = %v; want ErrAlreadyExists", f.ID, err)
		}
	}
	got, err := s.ListFactors(ctx, "u")
	if err != nil || len(got) != 2 || got[0].ID != "f-totp" || got[1].ID != "f-key" {
		t.Fatalf("ListFactors = %+v, %v", got, err)
	}
	if string(got[0].Data) != "sealed" || got[0].Name != "Phone" || !got[0].CreatedAt.Equal(now) || !got[0].LastUsedAt.IsZero() {
		t.Fatalf("ListFactors[0] = %+v", got[0])
	}
	f, err := s.GetFactorByCredential(ctx, []byte{1, 2, 3})
	if err != nil || f.ID != "f-key" || f.UserID != "u" {
		t.Fatalf("GetFactorByCredential = %+v, %v", f, err)
	}
	for _, id := range [][]byte{nil, {9}} {
		if _, err := s.GetFactorByCredential(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetFactorByCredential(%v) = %v; want ErrNotFound", id, err)
		}
	}
	if err := s.UpdateFactor(ctx, "u", "f-key", func(f *store.Factor) error {
		f.Name, f.LastUsedAt, f.ID, f.UserID = "Renamed", now, "moved", "v"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.GetFactorByCredential(ctx, []byte{1, 2, 3}); f.Name != "Renamed" || !f.LastUsedAt.Equal(now) || f.ID != "f-key" || f.UserID != "u" {
		t.Fatalf("after UpdateFactor = %+v; want renamed, same ID and user", f)
	}
	if err := s.UpdateFactor(ctx, "v", "f-key", func(*store.Factor) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateFactor of another user's factor = %v; want ErrNotFound", err)
	}
	if err := s.UpdateFactor(ctx, "u", "f-key", func(*store.Factor) error { return errLast }); !errors.Is(err, errLast) {
		t.Fatalf("UpdateFactor's own error = %v", err)
	}
	if err := s.DeleteFactor(ctx, "v", "f-key", nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteFactor of another user's factor = %v; want ErrNotFound", err)
	}
	if err := s.DeleteFactor(ctx, "u", "f-key", func(rest []store.Factor) error {
		if len(rest) != 1 || rest[0].ID != "f-totp" {
			t.Errorf("check saw %+v; want f-totp alone", rest)
		}
		return errLast
	}); !errors.Is(err, errLast) {
		t.Fatalf("DeleteFactor refused by check = %v", err)
	}
	if got, _ := s.ListFactors(ctx, "u"); len(got) != 2 {
		t.Fatalf("a refused deletion removed a factor: %+v", got)
	}
	if err := s.DeleteFactor(ctx, "u", "f-key", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteFactor(ctx, "u", "f-key", nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteFactor again = %v; want ErrNotFound", err)
	}
	// The credential ID is free again once its factor is gone.
	if err := s.CreateFactor(ctx, store.Factor{ID: "f-key2", UserID: "v", Kind: store.FactorPasskey, CredentialID: []byte{1, 2, 3}, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}

	if err := s.ReplaceRecoveryCodes(ctx, "u", []string{"h1", "h2"}, now); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteFactors(ctx, "v"); err != nil || n != 2 {
		t.Fatalf("DeleteFactors(v) = %d, %v; want 2", n, err)
	}
	if got, _ := s.ListFactors(ctx, "v"); len(got) != 0 {
		t.Fatalf("after DeleteFactors: %+v", got)
	}
	if n, _ := s.CountRecoveryCodes(ctx, "u"); n != 2 {
		t.Fatalf("DeleteFactors of v touched u's codes: %d left", n)
	}
	u := store.User{ID: "u", Username: "alice", CreatedAt: now}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, store.Cutoff{Subject: "u", NotBefore: now, ExpiresAt: now.Add(time.Hour)}, now, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ListFactors(ctx, "u"); len(got) != 0 {
		t.Fatalf("DeleteUser left factors: %+v", got)
	}
	if n, _ := s.CountRecoveryCodes(ctx, "u"); n != 0 {
		t.Fatalf("DeleteUser left %d recovery codes", n)
	}
}

// testRecoveryCodes: codes are replaced whole, spent once each, counted
// while unused, and of many concurrent uses of one code exactly one wins.
func testRecoveryCodes(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Unix(1700000000, 0).UTC()
	if n, err := s.CountRecoveryCodes(ctx, "u"); err != nil || n != 0 {
		t.Fatalf("CountRecoveryCodes of none = %d, %v", n, err)
	}
	if err := s.ReplaceRecoveryCodes(ctx, "u", []string{"old"}, now); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceRecoveryCodes(ctx, "u", []string{"a", "b", "c"}, now); err != nil {
		t.Fatal(err)
	}
	if err := s.UseRecoveryCode(ctx, "u", "old", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a replaced code = %v; want ErrNotFound", err)
	}
	if err := s.UseRecoveryCode(ctx, "v", "a", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user's code = %v; want ErrNotFound", err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			err := s.UseRecoveryCode(ctx, "u", "a", now)
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, store.ErrNotFound):
				t.Errorf("UseRecoveryCode: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d concurrent uses of one code succeeded; want 1", wins.Load())
	}
	if n, _ := s.CountRecoveryCodes(ctx, "u"); n != 2 {
		t.Fatalf("CountRecoveryCodes = %d; want 2", n)
	}
}

// testUpdateFactorConcurrent: an update that accepts a TOTP step only after
// LastStep, run by many goroutines for the same step, succeeds once.
func testUpdateFactorConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Unix(1700000000, 0).UTC()
	if err := s.CreateFactor(ctx, store.Factor{ID: "f", UserID: "u", Kind: store.FactorTOTP, LastStep: 10, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	errReused := errors.New("reused")
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			err := s.UpdateFactor(ctx, "u", "f", func(f *store.Factor) error {
				if f.LastStep >= 11 {
					return errReused
				}
				f.LastStep = 11
				return nil
			})
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, errReused):
				t.Errorf("UpdateFactor: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d concurrent uses of one step succeeded; want 1", wins.Load())
	}
}

// testDeleteFactorConcurrent: two deletions of a user's two factors at
// once, each refusing to leave none, cannot both succeed.
func testDeleteFactorConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Unix(1700000000, 0).UTC()
	for round := range 5 {
		user := fmt.Sprintf("u%d", round)
		for _, id := range []string{"a", "b"} {
			if err := s.CreateFactor(ctx, store.Factor{ID: user + id, UserID: user, Kind: store.FactorTOTP, CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for _, id := range []string{"a", "b"} {
			wg.Go(func() {
				err := s.DeleteFactor(ctx, user, user+id, func(rest []store.Factor) error {
					if len(rest) == 0 {
						return errLast
					}
					return nil
				})
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, errLast):
					t.Errorf("DeleteFactor: %v", err)
				}
			})
		}
		wg.Wait()
		if got, _ := s.ListFactors(ctx, user); wins.Load() != 1 || len(got) != 1 {
			t.Fatalf("round %d: %d deletions succeeded, %d factors left; want 1 and 1", round, wins.Load(), len(got))
		}
	}
}

// testUpdateSession: a live session's document changes in place, its
// cookie hash kept; an expired or unknown one is ErrNotFound.
func testUpdateSession(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Unix(1700000000, 0).UTC()
	live := store.Session{IDHash: "h", SID: "sid", UserID: "u", AuthTime: now.Add(-time.Hour), AMR: []string{"pwd"}, ACR: "sfa", ExpiresAt: now.Add(time.Hour)}
	dead := store.Session{IDHash: "h-dead", SID: "sid-dead", UserID: "u", AuthTime: now.Add(-time.Hour), ExpiresAt: now.Add(-time.Second)}
	for _, ss := range []store.Session{live, dead} {
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UpdateSession(ctx, "h", now, func(ss *store.Session) error {
		ss.AMR, ss.ACR, ss.AuthTime, ss.IDHash = []string{"pwd", "otp", "mfa"}, "mfa", now, "other"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetSession(ctx, "h", now)
	if err != nil || got.ACR != "mfa" || len(got.AMR) != 3 || !got.AuthTime.Equal(now) || got.SID != "sid" {
		t.Fatalf("after UpdateSession = %+v, %v", got, err)
	}
	for _, h := range []string{"h-dead", "h-none"} {
		if err := s.UpdateSession(ctx, h, now, func(*store.Session) error { return nil }); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("UpdateSession(%s) = %v; want ErrNotFound", h, err)
		}
	}
	if err := s.UpdateSession(ctx, "h", now, func(*store.Session) error { return errLast }); !errors.Is(err, errLast) {
		t.Fatalf("UpdateSession's own error = %v", err)
	}
}

// testDeleteLastFactorCodes: deleting a factor that leaves others keeps
// the user's recovery codes; deleting the last one removes them in the
// same transaction, and another user's codes stay.
func testDeleteLastFactorCodes(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	for _, f := range []store.Factor{
		{ID: "l-totp", UserID: "l", Kind: store.FactorTOTP, CreatedAt: now},
		{ID: "l-key", UserID: "l", Kind: store.FactorPasskey, CredentialID: []byte("l-key"), CreatedAt: now.Add(time.Second)},
		{ID: "m-totp", UserID: "m", Kind: store.FactorTOTP, CreatedAt: now},
	} {
		if err := s.CreateFactor(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	for _, user := range []string{"l", "m"} {
		if err := s.ReplaceRecoveryCodes(ctx, user, []string{user + "1", user + "2"}, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteFactor(ctx, "l", "l-totp", nil); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountRecoveryCodes(ctx, "l"); err != nil || n != 2 {
		t.Fatalf("codes after deleting one of two factors = %d, %v; want 2", n, err)
	}
	if err := s.DeleteFactor(ctx, "l", "l-key", func([]store.Factor) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountRecoveryCodes(ctx, "l"); err != nil || n != 0 {
		t.Fatalf("codes after deleting the last factor = %d, %v; want 0", n, err)
	}
	if n, err := s.CountRecoveryCodes(ctx, "m"); err != nil || n != 2 {
		t.Fatalf("another user's codes = %d, %v; want 2", n, err)
	}
}
