package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

func testRevokeAll(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	for _, g := range []struct{ id, user, client string }{{"a", "u1", "web"}, {"b", "u1", "spa"}, {"c", "u2", "web"}, {"d", "u3", "web"}, {"e", "u3", "spa"}} {
		issue(t, s, store.RefreshToken{Hash: "rt-" + g.id, GrantID: g.id, UserID: g.user, ClientID: g.client, ExpiresAt: now.Add(time.Hour)})
	}
	for _, sess := range []struct{ id, user string }{{"s-u1", "u1"}, {"s-u3", "u3"}} {
		if err := s.CreateSession(ctx, store.Session{IDHash: sess.id, UserID: sess.user, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	revoked := func(id string) bool {
		rt, _ := s.GetRefreshToken(ctx, "rt-"+id)
		return !rt.RevokedAt.IsZero()
	}
	hasSession := func(id string) bool {
		_, err := s.GetSession(ctx, id, now)
		return err == nil
	}
	if n, err := s.RevokeAll(ctx, store.NewCutoff("", "u1", now, time.Hour), now); err != nil || n != 2 || !revoked("a") || !revoked("b") || revoked("c") {
		t.Fatalf("revoke by user: %d, %v", n, err)
	}
	if hasSession("s-u1") || !hasSession("s-u3") {
		t.Fatal("revoking a user's tokens must end their sessions, and only theirs")
	}
	if n, err := s.RevokeAll(ctx, store.NewCutoff("spa", "u3", now, time.Hour), now); err != nil || n != 1 || !revoked("e") || revoked("d") {
		t.Fatalf("revoke a user at a client: %d, %v; want only that pair's grant", n, err)
	}
	if !hasSession("s-u3") {
		t.Fatal("revoking a user at one client must not end their session")
	}
	if n, err := s.RevokeAll(ctx, store.NewCutoff("web", "", now, time.Hour), now); err != nil || n != 2 || !revoked("c") || !revoked("d") {
		t.Fatalf("revoke by client: %d, %v; want only the ones still live", n, err)
	}
	if ok, _ := s.IsRevoked(ctx, "jti-rt-c"); !ok {
		t.Fatal("access token of a revoked grant not revoked")
	}
	if _, err := s.RevokeAll(ctx, store.NewCutoff("", "", now, time.Hour), now); !errors.Is(err, store.ErrCutoffTarget) {
		t.Fatalf("revoking every token of nobody: %v; want ErrCutoffTarget", err)
	}
	if all, _ := s.ListCutoffs(ctx, 0, 100); len(all) != 3 {
		t.Fatalf("ListCutoffs = %+v; want the three cutoffs recorded", all)
	}
}

func testCutoffs(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Unix(1700000000, 400_000_000)
	second := time.Unix(1700000001, 0)
	if nb, err := s.NotBefore(ctx, "c1", "u1"); err != nil || !nb.IsZero() {
		t.Fatalf("NotBefore with no cutoff = %v, %v; want zero", nb, err)
	}
	cuts := []store.Cutoff{
		store.NewCutoff("c1", "", now, time.Hour),
		store.NewCutoff("", "u1", now.Add(10*time.Second), time.Hour),
		store.NewCutoff("c2", "u2", now.Add(20*time.Second), time.Hour),
		store.NewCutoff("old", "", now.Add(-2*time.Hour), time.Hour),
	}
	for _, c := range cuts {
		if _, err := s.RevokeAll(ctx, c, now); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, client, sub string
		want              time.Time
	}{
		{"client alone", "c1", "someone", second},
		{"subject alone", "other", "u1", second.Add(10 * time.Second)},
		{"client and subject, the later", "c1", "u1", second.Add(10 * time.Second)},
		{"the pair", "c2", "u2", second.Add(20 * time.Second)},
		{"half of the pair", "c2", "u9", time.Time{}},
		{"other half of the pair", "c9", "u2", time.Time{}},
		{"nobody", "c9", "u9", time.Time{}},
	}
	for _, tt := range tests {
		if nb, err := s.NotBefore(ctx, tt.client, tt.sub); err != nil || !nb.Equal(tt.want) {
			t.Errorf("%s: NotBefore(%s, %s) = %v, %v; want %v", tt.name, tt.client, tt.sub, nb, err, tt.want)
		}
	}
	all, err := s.ListCutoffs(ctx, 0, 100)
	if err != nil || len(all) != 4 {
		t.Fatalf("ListCutoffs = %+v, %v", all, err)
	}
	if all[0].ClientID != "c1" || all[0].Subject != "" || !all[0].NotBefore.Equal(second) || !all[0].ExpiresAt.Equal(second.Add(time.Hour)) ||
		all[2].ClientID != "c2" || all[2].Subject != "u2" || !(all[0].Seq < all[1].Seq) {
		t.Fatalf("ListCutoffs order or fields wrong: %+v", all)
	}
	if rest, _ := s.ListCutoffs(ctx, all[1].Seq, 100); len(rest) != 2 || rest[0].Seq != all[2].Seq {
		t.Fatalf("ListCutoffs after cursor = %+v", rest)
	}
	if page, _ := s.ListCutoffs(ctx, 0, 1); len(page) != 1 {
		t.Fatalf("limit not honoured: %+v", page)
	}
	if err := s.DeleteExpired(ctx, now); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.ListCutoffs(ctx, 0, 100); len(all) != 3 {
		t.Fatalf("after DeleteExpired: %+v; want the expired cutoff gone, the others kept", all)
	}
	if nb, _ := s.NotBefore(ctx, "old", ""); !nb.IsZero() {
		t.Fatal("an expired cutoff still applies")
	}
}

// testCutoffsConcurrent records cutoffs from many goroutines while a poller
// follows the cursor, as a guard does: it must see every one, which holds
// only if seq order is commit order.
func testCutoffsConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 50
	now := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if _, err := s.RevokeAll(ctx, store.NewCutoff(fmt.Sprintf("c%d", i), "", now, time.Hour), now); err != nil {
				errs <- err
			}
		})
	}
	seen := map[string]bool{}
	var cursor int64
	poll := func() {
		page, err := s.ListCutoffs(ctx, cursor, 1000)
		if err != nil {
			t.Error(err)
			return
		}
		for _, c := range page {
			seen[c.ClientID] = true
			cursor = c.Seq
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for polling := true; polling; {
		select {
		case <-done:
			polling = false
		default:
		}
		poll()
	}
	poll()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Fatalf("a poller following the cursor saw %d of %d cutoffs", len(seen), n)
	}
}

// testDeleteClientRevokes deletes a client with a live grant and re-creates
// it: the old refresh token stays revoked and the cutoff stays in force.
func testDeleteClientRevokes(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	c := store.Client{ID: "svc", AuthMethod: store.AuthSecretBasic, GrantTypes: []string{"client_credentials"}, CreatedAt: now}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	issue(t, s, store.RefreshToken{Hash: "rt", GrantID: "g", UserID: "u", ClientID: "svc", ExpiresAt: now.Add(time.Hour)})
	if err := s.DeleteClient(ctx, store.NewCutoff("svc", "", now, time.Hour), now, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatalf("re-create: %v", err)
	}
	if rt, _ := s.GetRefreshToken(ctx, "rt"); rt.RevokedAt.IsZero() {
		t.Fatal("a refresh token outlived its client's deletion")
	}
	if ok, _ := s.IsRevoked(ctx, "jti-rt"); !ok {
		t.Fatal("an access token of the deleted client's grant is not revoked")
	}
	if nb, _ := s.NotBefore(ctx, "svc", "x"); !nb.After(now) {
		t.Fatalf("the cutoff did not outlive the client: NotBefore = %v", nb)
	}
	// An unknown client changes nothing: no cutoff is recorded.
	if err := s.DeleteClient(ctx, store.NewCutoff("nope", "", now, time.Hour), now, nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteClient unknown: %v", err)
	}
	if nb, _ := s.NotBefore(ctx, "nope", ""); !nb.IsZero() {
		t.Fatal("deleting an unknown client recorded a cutoff")
	}
	if err := s.DeleteClient(ctx, store.NewCutoff("svc", "u", now, time.Hour), now, nil); !errors.Is(err, store.ErrCutoffTarget) {
		t.Fatalf("DeleteClient with a subject: %v; want ErrCutoffTarget", err)
	}
}

func testRevokeSessionGrants(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	for _, g := range []store.Grant{
		{ID: "online", SessionID: "s1"},
		{ID: "offline", SessionID: "s1", Offline: true},
		{ID: "other", SessionID: "s2"},
	} {
		g.UserID, g.ClientID, g.ExpiresAt = "u", "c", now.Add(time.Hour)
		if err := s.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		rt := store.RefreshToken{Hash: "rt-" + g.ID, GrantID: g.ID, UserID: "u", ClientID: "c", ExpiresAt: now.Add(time.Hour)}
		if err := s.IssueTokens(ctx, g.ID, "jti-"+g.ID, now.Add(time.Hour), &rt); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.RevokeSessionGrants(ctx, "", now); err != nil || n != 0 {
		t.Fatalf("empty sid: %d, %v", n, err)
	}
	if n, err := s.RevokeSessionGrants(ctx, "s1", now); err != nil || n != 1 {
		t.Fatalf("RevokeSessionGrants = %d, %v; want the one online grant", n, err)
	}
	for id, want := range map[string]bool{"online": true, "offline": false, "other": false} {
		rt, _ := s.GetRefreshToken(ctx, "rt-"+id)
		if got := !rt.RevokedAt.IsZero(); got != want {
			t.Errorf("grant %s revoked = %v, want %v", id, got, want)
		}
		if ok, _ := s.IsRevoked(ctx, "jti-"+id); ok != want {
			t.Errorf("access token of %s revoked = %v, want %v", id, ok, want)
		}
	}
}

// testCutoffCoversLaterGrant: a grant created while RevokeAll ran escapes
// its revocation, since the row did not exist yet, but a cutoff later than
// its creation still stops every issuance from it; a grant authorized at
// or after the cutoff is untouched.
func testCutoffCoversLaterGrant(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	c := store.NewCutoff("", "u-late", now, time.Hour)
	if _, err := s.RevokeAll(ctx, c, now); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		created time.Time
		want    error
	}{
		{"created in the revocation's second", now, store.ErrRevoked},
		{"created at the cutoff", c.NotBefore, nil},
	} {
		id := "late-" + tt.created.Format("150405.000000000")
		if err := s.CreateGrant(ctx, store.Grant{ID: id, UserID: "u-late", ClientID: "web", CreatedAt: tt.created, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		rt := &store.RefreshToken{Hash: "rt-" + id, GrantID: id, UserID: "u-late", ClientID: "web", ExpiresAt: now.Add(time.Hour), FamilyExpiresAt: now.Add(time.Hour)}
		if err := s.IssueTokens(ctx, id, "jti-"+id, now.Add(time.Hour), rt); !errors.Is(err, tt.want) {
			t.Errorf("%s: IssueTokens = %v, want %v", tt.name, err, tt.want)
		}
	}
}
