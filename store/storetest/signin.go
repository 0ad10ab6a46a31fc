package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	u := store.User{ID: "u1", Username: "alice", PasswordHash: "h", Claims: map[string]any{"name": "Alice"}, Roles: []string{"viewer"}, CreatedAt: now}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, store.User{ID: "u2", Username: "alice"}); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("duplicate username: %v", err)
	}
	got, err := s.GetUserByUsername(ctx, "alice")
	if err != nil || got.ID != "u1" || got.Claims["name"] != "Alice" || !slices.Equal(got.Roles, []string{"viewer"}) {
		t.Fatalf("GetUserByUsername = %+v, %v", got, err)
	}
	if err := s.UpdateUser(ctx, "u1", func(u *store.User) error { u.Username = "alicia"; u.PasswordHash = "h2"; u.Roles = nil; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUser(ctx, "u1"); got.Username != "alicia" || got.PasswordHash != "h2" || got.Roles != nil {
		t.Fatalf("after update: %+v", got)
	}
	if _, err := s.GetUserByUsername(ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old username still found: %v", err)
	}
	if err := s.UpdateUser(ctx, "nope", func(*store.User) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateUser unknown: %v", err)
	}
	if all, _ := s.ListUsers(ctx); len(all) != 1 || all[0].Disabled {
		t.Fatalf("ListUsers = %v", all)
	}

	// The disabled flag round-trips through every read, and clears.
	if err := s.UpdateUser(ctx, "u1", func(u *store.User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	byID, _ := s.GetUser(ctx, "u1")
	byName, _ := s.GetUserByUsername(ctx, "alicia")
	all, _ := s.ListUsers(ctx)
	if !byID.Disabled || !byName.Disabled || len(all) != 1 || !all[0].Disabled || byID.PasswordHash != "h2" {
		t.Fatalf("after disabling: %+v, %+v, %+v", byID, byName, all)
	}
	if err := s.UpdateUser(ctx, "u1", func(u *store.User) error { u.Disabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUser(ctx, "u1"); got.Disabled {
		t.Fatal("the disabled flag did not clear")
	}
	if err := s.CreateUser(ctx, store.User{ID: "u3", Username: "mallory", Disabled: true, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUser(ctx, "u3"); !got.Disabled {
		t.Fatal("a user created disabled reads enabled")
	}

	// Deleting a user ends their sessions and revokes their grants.
	if err := s.CreateSession(ctx, store.Session{IDHash: "s1", UserID: "u1", ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	issue(t, s, store.RefreshToken{Hash: "r1", GrantID: "g1", UserID: "u1", ClientID: "c", ExpiresAt: now.Add(time.Hour)})
	if err := s.DeleteUser(ctx, store.NewCutoff("", "u1", now, time.Hour), now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, "s1", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session survived its user: %v", err)
	}
	if got, _ := s.GetRefreshToken(ctx, "r1"); got.RevokedAt.IsZero() {
		t.Fatal("refresh token of a deleted user not revoked")
	}
	if err := s.DeleteUser(ctx, store.NewCutoff("", "u1", now, time.Hour), now); !errors.Is(err, store.ErrNotFound) {
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
	if err := s.CreateGrant(ctx, store.Grant{ID: "g", UserID: "u", ClientID: "cl", ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	c := store.AuthCode{Hash: "c1", GrantID: "g", ClientID: "cl", UserID: "u", Scopes: []string{"openid"}, ExpiresAt: now.Add(time.Minute)}
	if err := s.CreateAuthCode(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, used, err := s.GetAuthCode(ctx, "c1", now)
	if err != nil || used || got.GrantID != "g" || got.Scopes[0] != "openid" {
		t.Fatalf("GetAuthCode = %+v, %v, %v", got, used, err)
	}
	var n atomic.Int32
	wins, losses := race(t, 50, func() error {
		i := n.Add(1)
		return s.ExchangeAuthCode(ctx, "c1", now, fmt.Sprint("jti-", i), now.Add(time.Hour),
			&store.RefreshToken{Hash: fmt.Sprint("rt-", i), GrantID: "g", UserID: "u", ClientID: "cl", ExpiresAt: now.Add(time.Hour)})
	})
	if wins != 1 || losses != 49 {
		t.Fatalf("50 concurrent exchanges: %d succeeded, %d refused; want 1 and 49", wins, losses)
	}
	if _, used, _ := s.GetAuthCode(ctx, "c1", now); !used {
		t.Fatal("an exchanged code is not marked used")
	}
	if err := s.ExchangeAuthCode(ctx, "c1", now, "jti-x", now.Add(time.Hour), nil); !errors.Is(err, store.ErrReplay) {
		t.Fatalf("exchanging a used code: %v, want ErrReplay", err)
	}
	// Exactly one set of tokens was recorded, and revoking the grant
	// reaches it.
	s.RevokeGrant(ctx, "g", now)
	var revoked, live int
	for i := 1; i <= 50; i++ {
		ok, _ := s.IsRevoked(ctx, fmt.Sprint("jti-", i))
		rt, err := s.GetRefreshToken(ctx, fmt.Sprint("rt-", i))
		switch {
		case ok && err == nil && !rt.RevokedAt.IsZero():
			revoked++
		case ok || err == nil:
			live++
		}
	}
	if revoked != 1 || live != 0 {
		t.Fatalf("after 50 exchanges and a revocation: %d token sets revoked, %d inconsistent; want 1 and 0", revoked, live)
	}
	if _, _, err := s.GetAuthCode(ctx, "nope", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown code: %v", err)
	}
	c.Hash = "c2"
	s.CreateAuthCode(ctx, c)
	if err := s.ExchangeAuthCode(ctx, "c2", now.Add(2*time.Minute), "j", now.Add(time.Hour), nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired code: %v", err)
	}
	if _, _, err := s.GetAuthCode(ctx, "c2", now.Add(2*time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired code returned: %v", err)
	}
}

func testRefreshRotation(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	base := store.RefreshToken{GrantID: "g", ClientID: "c", UserID: "u", Scopes: []string{"openid"}, ExpiresAt: now.Add(time.Hour)}
	first := base
	first.Hash = "r0"
	issue(t, s, first)
	var n atomic.Int32
	wins, losses := race(t, 50, func() error {
		next := base
		next.Hash = fmt.Sprint("r1-", n.Add(1))
		return s.RotateRefreshToken(ctx, "r0", now, []byte("successor "+next.Hash), next, "jti-"+next.Hash, now.Add(time.Hour))
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

	// Revoking the grant revokes the family and its access tokens.
	if err := s.RevokeGrant(ctx, "g", now); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"r0", succ} {
		if rt, _ := s.GetRefreshToken(ctx, h); rt.RevokedAt.IsZero() || rt.Successor != nil {
			t.Fatalf("%s not revoked with its grant: %+v", h, rt)
		}
	}
	for _, jti := range []string{"jti-r0", "jti-" + succ} {
		if ok, _ := s.IsRevoked(ctx, jti); !ok {
			t.Fatalf("access token %s of a revoked grant not revoked", jti)
		}
	}
	next := base
	next.Hash = "r2"
	if err := s.RotateRefreshToken(ctx, succ, now, nil, next, "jti-r2", now.Add(time.Hour)); !errors.Is(err, store.ErrRevoked) {
		t.Fatalf("rotating a token of a revoked grant: %v", err)
	}
	if err := s.IssueTokens(ctx, "g", "jti-late", now.Add(time.Hour), nil); !errors.Is(err, store.ErrRevoked) {
		t.Fatalf("issuing from a revoked grant: %v", err)
	}
	if ok, _ := s.IsRevoked(ctx, "jti-late"); ok {
		t.Fatal("a refused issuance recorded its token")
	}
}

// testRevokeRacesIssue revokes grants while tokens are issued from them: a
// token either is refused or ends up revoked, never escapes.
func testRevokeRacesIssue(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	for i := range 10 {
		g := fmt.Sprint("race-", i)
		if err := s.CreateGrant(ctx, store.Grant{ID: g, UserID: "u", ClientID: "c", ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var issueErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			issueErr = s.IssueTokens(ctx, g, "jti-"+g, now.Add(time.Hour), &store.RefreshToken{Hash: "rt-" + g, GrantID: g, UserID: "u", ClientID: "c", ExpiresAt: now.Add(time.Hour)})
		}()
		go func() { defer wg.Done(); s.RevokeGrant(ctx, g, now) }()
		wg.Wait()
		if issueErr != nil && !errors.Is(issueErr, store.ErrRevoked) {
			t.Fatal(issueErr)
		}
		if issueErr == nil {
			rt, _ := s.GetRefreshToken(ctx, "rt-"+g)
			revoked, _ := s.IsRevoked(ctx, "jti-"+g)
			if rt.RevokedAt.IsZero() || !revoked {
				t.Fatalf("grant %s: tokens issued concurrently with its revocation survived it", g)
			}
		}
	}
}

// issue creates the grant of rt and issues rt from it.
func issue(t *testing.T, s store.Store, rt store.RefreshToken) {
	t.Helper()
	ctx := context.Background()
	err := s.CreateGrant(ctx, store.Grant{ID: rt.GrantID, UserID: rt.UserID, ClientID: rt.ClientID, ExpiresAt: rt.ExpiresAt})
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatal(err)
	}
	if err := s.IssueTokens(ctx, rt.GrantID, "jti-"+rt.Hash, rt.ExpiresAt, &rt); err != nil {
		t.Fatal(err)
	}
}

func testDeleteExpiredSignin(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	issue(t, s, store.RefreshToken{Hash: "live", GrantID: "g", ExpiresAt: now.Add(time.Hour)})
	if err := s.IssueTokens(ctx, "g", "jti-old", now.Add(time.Hour), &store.RefreshToken{Hash: "old", GrantID: "g", ExpiresAt: now.Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := s.RotateRefreshToken(ctx, "live", now.Add(-2*store.MaxRefreshGrace), []byte("x"), store.RefreshToken{Hash: "next", GrantID: "g", ExpiresAt: now.Add(time.Hour)}, "jti-next", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
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
	if _, _, err := s.GetAuthCode(ctx, "code", now.Add(-time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("expired code kept")
	}
}
