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

// rotated issues r0 in grant g, rotates it to r1 at now with the successor
// response "s1", and returns the base token of the family.
func rotated(t *testing.T, s store.Store, g string, now time.Time) store.RefreshToken {
	t.Helper()
	base := store.RefreshToken{GrantID: g, ClientID: "c", UserID: "u", ExpiresAt: now.Add(time.Hour)}
	r0 := base
	r0.Hash = g + "-r0"
	issue(t, s, r0)
	rotate(t, s, r0.Hash, g+"-r1", base, now, "s1")
	return base
}

// rotate rotates the token from into to, with the successor response resp.
func rotate(t *testing.T, s store.Store, from, to string, base store.RefreshToken, at time.Time, resp string) {
	t.Helper()
	next := base
	next.Hash = to
	if err := s.RotateRefreshToken(context.Background(), from, at, []byte(resp), next, "jti-"+to, at.Add(time.Hour)); err != nil {
		t.Fatalf("rotate %s: %v", from, err)
	}
}

// revoked reports whether the token hash is revoked.
func revoked(t *testing.T, s store.Store, hash string) bool {
	t.Helper()
	rt, err := s.GetRefreshToken(context.Background(), hash)
	if err != nil {
		t.Fatal(err)
	}
	return !rt.RevokedAt.IsZero()
}

// testRefreshRetry: presenting a rotated token again is a retry only while
// its direct successor is untouched, from the same client, within the
// grace; anything else revokes the family.
func testRefreshRetry(t *testing.T, s store.Store) {
	ctx := context.Background()
	// Milliseconds: the precision every backend keeps.
	now := time.Now().Truncate(time.Millisecond)
	const grace = 5 * time.Second
	tests := []struct {
		name   string
		before func(t *testing.T, g string, base store.RefreshToken)
		client string
		at     time.Duration // after the rotation
		want   error         // nil: a retry answered with "s1"
	}{
		{name: "successor untouched", client: "c", at: time.Second},
		{name: "at the end of the grace", client: "c", at: grace},
		{name: "after the grace", client: "c", at: grace + time.Millisecond, want: store.ErrReplay},
		{name: "another client", client: "other", at: time.Second, want: store.ErrReplay},
		{name: "successor rotated", client: "c", at: time.Second, want: store.ErrReplay,
			before: func(t *testing.T, g string, base store.RefreshToken) {
				rotate(t, s, g+"-r1", g+"-r2", base, now, "s2")
				// The successor's own retry is still harmless: r2 is untouched.
				if got, err := s.RetryRefreshToken(ctx, g+"-r1", "c", now, grace); err != nil || string(got) != "s2" {
					t.Fatalf("retry of the successor = %q, %v; want s2", got, err)
				}
			}},
		{name: "successor presented and refused", client: "c", at: time.Second, want: store.ErrReplay,
			before: func(t *testing.T, g string, _ store.RefreshToken) {
				if err := s.MarkRefreshTokenPresented(ctx, g+"-r1", now); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "grant revoked", client: "c", at: time.Second, want: store.ErrRevoked,
			before: func(t *testing.T, g string, _ store.RefreshToken) {
				if err := s.RevokeGrant(ctx, g, now); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := fmt.Sprint("retry-", i)
			base := rotated(t, s, g, now)
			if tt.before != nil {
				tt.before(t, g, base)
			}
			got, err := s.RetryRefreshToken(ctx, g+"-r0", tt.client, now.Add(tt.at), grace)
			if (tt.want == nil && string(got) != "s1") || (tt.want != nil && got != nil) || !errors.Is(err, tt.want) {
				t.Fatalf("RetryRefreshToken = %q, %v; want %v (nil: the successor s1)", got, err, tt.want)
			}
			// Again: a retry changes nothing, and a reuse has revoked the
			// family, so the next presentation finds it revoked.
			again := tt.want
			if again != nil {
				again = store.ErrRevoked
			}
			if got, err := s.RetryRefreshToken(ctx, g+"-r0", tt.client, now.Add(tt.at), grace); !errors.Is(err, again) || (again == nil && string(got) != "s1") {
				t.Fatalf("second RetryRefreshToken = %q, %v; want %v", got, err, again)
			}
			if family := revoked(t, s, g+"-r1"); family != (tt.want != nil) {
				t.Fatalf("family revoked = %v after %v", family, tt.want)
			}
		})
	}
	t.Run("not rotated or unknown", func(t *testing.T) {
		issue(t, s, store.RefreshToken{Hash: "live", GrantID: "live-g", ClientID: "c", ExpiresAt: now.Add(time.Hour)})
		for _, h := range []string{"live", "nope"} {
			if _, err := s.RetryRefreshToken(ctx, h, "c", now, grace); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("RetryRefreshToken(%s): %v, want ErrNotFound", h, err)
			}
		}
		if err := s.MarkRefreshTokenPresented(ctx, "nope", now); err != nil {
			t.Fatalf("marking an unknown token: %v", err)
		}
		if revoked(t, s, "live") {
			t.Fatal("a refused retry of a live token revoked it")
		}
	})
}

// testRefreshRetryRace: 50 goroutines present a rotated token again while
// others use its successor. One use of the successor wins; no retry that
// starts after it has returned gets the old successor, and any reuse leaves
// the family revoked.
func testRefreshRetryRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	base := rotated(t, s, "mix", now)
	var rotatedDone atomic.Bool
	var rotations, retries, reuses, lateRetries atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if i%2 == 0 {
				next := base
				next.Hash = fmt.Sprint("mix-r2-", i)
				switch err := s.RotateRefreshToken(ctx, "mix-r1", now, []byte("s2"), next, "jti-"+next.Hash, now.Add(time.Hour)); {
				case err == nil:
					rotations.Add(1)
					rotatedDone.Store(true)
				case errors.Is(err, store.ErrReplay), errors.Is(err, store.ErrRevoked):
				default:
					t.Errorf("rotate the successor: %v", err)
				}
				return
			}
			after := rotatedDone.Load()
			switch got, err := s.RetryRefreshToken(ctx, "mix-r0", "c", now, 5*time.Second); {
			case err == nil && string(got) == "s1":
				retries.Add(1)
				if after {
					lateRetries.Add(1)
				}
			case errors.Is(err, store.ErrReplay):
				reuses.Add(1)
			case errors.Is(err, store.ErrRevoked):
			default:
				t.Errorf("retry: %q, %v", got, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if rotations.Load() != 1 {
		t.Fatalf("%d uses of the successor rotated it, want 1", rotations.Load())
	}
	if lateRetries.Load() != 0 {
		t.Fatalf("%d retries that began after the successor was used got it again", lateRetries.Load())
	}
	if reuses.Load() > 1 {
		t.Fatalf("%d presentations revoked the family; the first revokes it, later ones find it revoked", reuses.Load())
	}
	if family := revoked(t, s, "mix-r1"); family != (reuses.Load() == 1) {
		t.Fatalf("family revoked = %v after %d reuses", family, reuses.Load())
	}
	// Whatever the order was, the old token is now reuse.
	if _, err := s.RetryRefreshToken(ctx, "mix-r0", "c", now, 5*time.Second); !errors.Is(err, store.ErrReplay) && !errors.Is(err, store.ErrRevoked) {
		t.Fatalf("retry after the successor's use: %v, want reuse", err)
	}
	if !revoked(t, s, "mix-r1") {
		t.Fatal("the family survived a reuse")
	}
	t.Logf("%d retries, %d reuses, %d refused as revoked", retries.Load(), reuses.Load(), 25-retries.Load()-reuses.Load())
}
