package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// TestRevocationVersionSeesOtherHandles revokes through a second handle on
// the same file, as the CLI or another process does: the first handle's
// reading changes, though none of its own connections wrote.
func TestRevocationVersionSeesOtherHandles(t *testing.T) {
	ctx := context.Background()
	a, b := openTwice(t)
	if a.wal == nil {
		t.Fatal("no wal index: every introspection would query the store")
	}
	now := time.Now()
	for i, revoke := range []func() error{
		func() error {
			return b.RevokeToken(ctx, store.Revocation{JTI: "j", ExpiresAt: now.Add(time.Hour), RevokedAt: now})
		},
		func() error { _, err := b.RevokeAll(ctx, store.NewCutoff("", "u", now, time.Hour), now); return err },
		// A checkpoint restarts the WAL: the next commit writes from its
		// first frame again, under new salts.
		func() error { _, err := b.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); return err },
		func() error {
			return b.RevokeToken(ctx, store.Revocation{JTI: "k", ExpiresAt: now.Add(time.Hour), RevokedAt: now})
		},
	} {
		before, _ := a.RevocationVersion(ctx)
		if err := revoke(); err != nil {
			t.Fatal(err)
		}
		after, _ := a.RevocationVersion(ctx)
		if i != 2 && before == after {
			t.Fatalf("step %d: a commit through another handle left the reading at %v", i, after)
		}
	}
}
