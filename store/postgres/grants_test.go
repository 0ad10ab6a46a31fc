package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// TestRevokeGrantWaitsForIssuance holds an issuance open between its check of
// the grant and the writing of its tokens, and revokes the grant meanwhile:
// the revocation must wait for the issuance and then revoke what it wrote.
// The conformance suite's RevokeRacesIssue finds this race by chance; this
// test stops at the dangerous moment on purpose.
func TestRevokeGrantWaitsForIssuance(t *testing.T) {
	ctx := context.Background()
	s := openFresh(t)
	now := time.Now()
	if err := s.CreateGrant(ctx, store.Grant{ID: "g", UserID: "u", ClientID: "c", ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := liveGrant(ctx, tx, "g"); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() { done <- s.RevokeGrant(ctx, "g", now) }()
	revokeErr, revokeDone := blockedOrDone(t, s, tx, done)

	if err := recordAccessToken(ctx, tx, "g", "jti", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := insertRefreshToken(ctx, tx, store.RefreshToken{Hash: "rt", GrantID: "g", UserID: "u", ClientID: "c", ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if !revokeDone {
		revokeErr = <-done
	}
	if revokeErr != nil {
		t.Fatal(revokeErr)
	}
	if rt, err := s.GetRefreshToken(ctx, "rt"); err != nil || rt.RevokedAt.IsZero() {
		t.Fatalf("refresh token issued while the grant was revoked = %+v, %v; want revoked", rt, err)
	}
	if ok, err := s.IsRevoked(ctx, "jti"); err != nil || !ok {
		t.Fatalf("IsRevoked(access token issued while the grant was revoked) = %v, %v; want true", ok, err)
	}
}
