package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// TestRevocationCursorSkipsNothing follows the revocation list with a cursor,
// as a guard does, while one revocation is held uncommitted and another is
// written beside it. Were seq order not commit order, the poller would see
// the later revocation first, move its cursor past the earlier one and never
// see it.
func TestRevocationCursorSkipsNothing(t *testing.T) {
	ctx := context.Background()
	s := openFresh(t)
	exp, now := time.Now().Add(time.Hour), time.Now()

	// The first writer takes its seq and stays open.
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := lockRevocationWriters(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO revocations (jti, expires_at, revoked_at) VALUES ('first', $1, $2)`, exp, now); err != nil {
		t.Fatal(err)
	}

	// The second writer either commits at once or waits for the first.
	done := make(chan error, 1)
	go func() { done <- s.RevokeToken(ctx, store.Revocation{JTI: "second", ExpiresAt: exp, RevokedAt: now}) }()
	secondErr, secondDone := blockedOrDone(t, s, tx, done)

	seen := map[string]bool{}
	var cursor int64
	poll := func() {
		t.Helper()
		page, err := s.ListRevocations(ctx, cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			seen[r.JTI] = true
			cursor = r.Seq
		}
	}
	poll()
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if !secondDone {
		secondErr = <-done
	}
	if secondErr != nil {
		t.Fatal(secondErr)
	}
	poll()
	if !seen["first"] || !seen["second"] {
		t.Fatalf("a poller following the cursor saw %v; want first and second", seen)
	}
}
