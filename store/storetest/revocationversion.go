package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// testRevocationVersion checks what introspection's cache relies on: a
// reading is never the zero Version here, two readings with nothing
// committed between them are equal, and every kind of revocation changes
// the reading taken after it returns.
func testRevocationVersion(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	read := func() store.Version {
		t.Helper()
		v, err := s.RevocationVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v == (store.Version{}) {
			t.Fatal("RevocationVersion is the zero Version: introspection could never skip the store")
		}
		return v
	}
	if a, b := read(), read(); a != b {
		t.Fatalf("two readings with nothing committed differ: %v, %v", a, b)
	}
	if err := s.CreateClient(ctx, store.Client{ID: "versioned", Name: "v"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		revoke func() error
	}{
		{"token", func() error {
			return s.RevokeToken(ctx, store.Revocation{JTI: "jti-v", ExpiresAt: now.Add(time.Hour), RevokedAt: now})
		}},
		{"cutoff of a user", func() error {
			_, err := s.RevokeAll(ctx, store.NewCutoff("", "user-v", now, time.Hour), now)
			return err
		}},
		{"cutoff of a client", func() error {
			_, err := s.RevokeAll(ctx, store.NewCutoff("versioned", "", now, time.Hour), now)
			return err
		}},
		{"client deleted", func() error {
			return s.DeleteClient(ctx, store.NewCutoff("versioned", "", now, time.Hour), now, nil)
		}},
	} {
		before := read()
		if err := tc.revoke(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if after := read(); after == before {
			t.Fatalf("%s: the reading after the revocation equals the one before: %v", tc.name, after)
		}
	}
}

// testRevocationVersionConcurrent has many goroutines each read, revoke a
// token and read again while the others do the same: a backend that shares
// readings among callers must never hand one a reading taken before its
// revocation returned.
func testRevocationVersionConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Go(func() {
			for j := range 5 {
				before, err := s.RevocationVersion(ctx)
				if err != nil {
					errs <- err
					return
				}
				if err := s.RevokeToken(ctx, store.Revocation{JTI: fmt.Sprint("jti-c-", i, "-", j), ExpiresAt: now.Add(time.Hour), RevokedAt: now}); err != nil {
					errs <- err
					return
				}
				after, err := s.RevocationVersion(ctx)
				if err != nil {
					errs <- err
					return
				}
				if after == before {
					errs <- fmt.Errorf("goroutine %d: reading after its revocation equals the one before: %v", i, after)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
