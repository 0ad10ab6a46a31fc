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

// race runs f from n goroutines at once and counts nil and ErrReplay or
// ErrNotFound results; any other error fails the test.
func race(t *testing.T, n int, f func() error) (wins, losses int32) {
	t.Helper()
	var w, l atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			switch err := f(); {
			case err == nil:
				w.Add(1)
			case errors.Is(err, store.ErrReplay), errors.Is(err, store.ErrNotFound):
				l.Add(1)
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return w.Load(), l.Load()
}

func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Unix(1700000000, 0).UTC()
	u := store.User{ID: "u1", Username: "alice", PasswordHash: "h", Claims: map[string]any{"name": "Alice"}, CreatedAt: now}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, store.User{ID: "u2", Username: "alice"}); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("duplicate username: %v", err)
	}
	got, err := s.GetUserByUsername(ctx, "alice")
	if err != nil || got.ID != "u1" || got.Claims["name"] != "Alice" {
		t.Fatalf("GetUserByUsername = %+v, %v", got, err)
	}
	if err := s.UpdateUser(ctx, "u1", func(u *store.User) error { u.Username = "alicia"; u.PasswordHash = "h2"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUser(ctx, "u1"); got.Username != "alicia" || got.PasswordHash != "h2" {
		t.Fatalf("after update: %+v", got)
	}
	if _, err := s.GetUserByUsername(ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old username still found: %v", err)
	}
	if err := s.UpdateUser(ctx, "nope", func(*store.User) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateUser unknown: %v", err)
	}
	if all, _ := s.ListUsers(ctx); len(all) != 1 {
		t.Fatalf("ListUsers = %v", all)
	}

	// Deleting a user ends their sessions and revokes their grants.
	if err := s.CreateSession(ctx, store.Session{IDHash: "s1", UserID: "u1", ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rt := store.RefreshToken{Hash: "r1", GrantID: "g1", UserID: "u1", ClientID: "c", ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateRefreshToken(ctx, rt); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "u1", now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, "s1", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session survived its user: %v", err)
	}
	if got, _ := s.GetRefreshToken(ctx, "r1"); got.RevokedAt.IsZero() {
		t.Fatal("refresh token of a deleted user not revoked")
	}
	if err := s.DeleteUser(ctx, "u1", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteUser twice: %v", err)
	}
}

func testAuthRequests(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	r := store.AuthRequest{ID: "a1", ClientID: "c", Scopes: []string{"openid"}, ExpiresAt: now.Add(time.Minute)}
	if err := s.SaveAuthRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.BrowserHash = "b"
	if err := s.SaveAuthRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetAuthRequest(ctx, "a1", now)
	if err != nil || got.BrowserHash != "b" || got.Scopes[0] != "openid" {
		t.Fatalf("GetAuthRequest = %+v, %v", got, err)
	}
	if _, err := s.GetAuthRequest(ctx, "a1", now.Add(2*time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired request returned: %v", err)
	}
	wins, _ := race(t, 20, func() error { return s.DeleteAuthRequest(ctx, "a1") })
	if wins != 1 {
		t.Fatalf("%d concurrent consumptions of one request succeeded, want 1", wins)
	}
}

func testSessionsAndConsent(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Unix(1700000000, 0).UTC()
	ss := store.Session{IDHash: "h", UserID: "u", AuthTime: now, AMR: []string{"pwd"}, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetSession(ctx, "h", now)
	if err != nil || got.UserID != "u" || !got.AuthTime.Equal(now) || got.AMR[0] != "pwd" {
		t.Fatalf("GetSession = %+v, %v", got, err)
	}
	if _, err := s.GetSession(ctx, "h", now.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired session returned: %v", err)
	}
	if err := s.DeleteSession(ctx, "h"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, "h", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted session returned: %v", err)
	}
	if c, err := s.GetConsent(ctx, "u", "c"); err != nil || c != nil {
		t.Fatalf("consent before any: %v, %v", c, err)
	}
	for _, scopes := range [][]string{{"openid"}, {"openid", "profile"}} {
		if err := s.SaveConsent(ctx, "u", "c", scopes); err != nil {
			t.Fatal(err)
		}
	}
	if c, _ := s.GetConsent(ctx, "u", "c"); len(c) != 2 || c[1] != "profile" {
		t.Fatalf("consent = %v", c)
	}
}

func testAuthCodes(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	c := store.AuthCode{Hash: "c1", GrantID: "g", ClientID: "cl", UserID: "u", Scopes: []string{"openid"}, ExpiresAt: now.Add(time.Minute)}
	if err := s.CreateAuthCode(ctx, c); err != nil {
		t.Fatal(err)
	}
	wins, losses := race(t, 50, func() error { _, err := s.RedeemAuthCode(ctx, "c1", now); return err })
	if wins != 1 || losses != 49 {
		t.Fatalf("50 concurrent redemptions: %d succeeded, %d refused; want 1 and 49", wins, losses)
	}
	got, err := s.RedeemAuthCode(ctx, "c1", now)
	if !errors.Is(err, store.ErrReplay) || got.GrantID != "g" {
		t.Fatalf("redeeming a used code: %+v, %v; want ErrReplay with the code", got, err)
	}
	if _, err := s.RedeemAuthCode(ctx, "nope", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown code: %v", err)
	}
	c.Hash = "c2"
	s.CreateAuthCode(ctx, c)
	if _, err := s.RedeemAuthCode(ctx, "c2", now.Add(2*time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired code: %v", err)
	}
}

func testRefreshRotation(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	base := store.RefreshToken{GrantID: "g", ClientID: "c", UserID: "u", Scopes: []string{"openid"}, ExpiresAt: now.Add(time.Hour)}
	first := base
	first.Hash = "r0"
	if err := s.CreateRefreshToken(ctx, first); err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	wins, losses := race(t, 50, func() error {
		next := base
		next.Hash = fmt.Sprint("r1-", n.Add(1))
		return s.RotateRefreshToken(ctx, "r0", now, []byte("successor "+next.Hash), next)
	})
	if wins != 1 || losses != 49 {
		t.Fatalf("50 concurrent rotations: %d succeeded, %d refused; want 1 and 49", wins, losses)
	}
	old, err := s.GetRefreshToken(ctx, "r0")
	if err != nil || old.RotatedAt.IsZero() || len(old.Successor) == 0 {
		t.Fatalf("rotated token = %+v, %v", old, err)
	}
	succ := string(old.Successor)[len("successor "):]
	if _, err := s.GetRefreshToken(ctx, succ); err != nil {
		t.Fatalf("the winning successor %s was not stored: %v", succ, err)
	}
	if _, err := s.GetRefreshToken(ctx, "r1-999"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a losing successor was stored: %v", err)
	}

	// Revoking the grant revokes the family and its recorded access tokens.
	if err := s.RecordAccessToken(ctx, "g", "jti-1", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeGrant(ctx, "g", now); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"r0", succ} {
		if rt, _ := s.GetRefreshToken(ctx, h); rt.RevokedAt.IsZero() || rt.Successor != nil {
			t.Fatalf("%s not revoked with its grant: %+v", h, rt)
		}
	}
	if ok, _ := s.IsRevoked(ctx, "jti-1"); !ok {
		t.Fatal("access token of a revoked grant not revoked")
	}
	next := base
	next.Hash = "r2"
	if err := s.RotateRefreshToken(ctx, succ, now, nil, next); !errors.Is(err, store.ErrReplay) {
		t.Fatalf("rotating a revoked token: %v", err)
	}
}

func testDeleteExpiredSignin(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	s.CreateRefreshToken(ctx, store.RefreshToken{Hash: "old", GrantID: "g", ExpiresAt: now.Add(-time.Second)})
	s.CreateRefreshToken(ctx, store.RefreshToken{Hash: "live", GrantID: "g", ExpiresAt: now.Add(time.Hour)})
	s.RotateRefreshToken(ctx, "live", now.Add(-2*store.MaxRefreshGrace), []byte("x"), store.RefreshToken{Hash: "next", GrantID: "g", ExpiresAt: now.Add(time.Hour)})
	s.CreateAuthCode(ctx, store.AuthCode{Hash: "code", ExpiresAt: now.Add(-time.Second)})
	if err := s.DeleteExpired(ctx, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRefreshToken(ctx, "old"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("expired refresh token kept")
	}
	if rt, err := s.GetRefreshToken(ctx, "live"); err != nil || rt.Successor != nil || rt.RotatedAt.IsZero() {
		t.Fatalf("rotated token after GC = %+v, %v; want kept (reuse detection) without its successor", rt, err)
	}
	if _, err := s.RedeemAuthCode(ctx, "code", now.Add(-time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("expired code kept")
	}
}
