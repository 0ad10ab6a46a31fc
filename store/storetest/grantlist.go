package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// testGetGrant reads a grant back with its revocation time.
func testGetGrant(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	g := store.Grant{ID: "g1", UserID: "u", ClientID: "web", SessionID: "sid", Offline: true,
		CreatedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour), RevokedAt: now}
	if err := s.CreateGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetGrant(ctx, "g1")
	if err != nil {
		t.Fatalf("GetGrant: %v", err)
	}
	if got.ID != g.ID || got.UserID != "u" || got.ClientID != "web" || got.SessionID != "sid" || !got.Offline ||
		!got.CreatedAt.Equal(g.CreatedAt) || !got.ExpiresAt.Equal(g.ExpiresAt) || !got.RevokedAt.IsZero() {
		t.Fatalf("GetGrant = %+v, want %+v without RevokedAt, which CreateGrant ignores", got, g)
	}
	revoked := now.Add(time.Second)
	if err := s.RevokeGrant(ctx, "g1", revoked); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetGrant(ctx, "g1"); err != nil || !got.RevokedAt.Equal(revoked) {
		t.Fatalf("GetGrant after RevokeGrant = %+v, %v; want RevokedAt %v", got, err, revoked)
	}
	if _, err := s.GetGrant(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetGrant unknown: got %v, want ErrNotFound", err)
	}
}

// testListGrants filters grants by user, client and liveness, newest
// first, and walks every selection a page at a time.
func testListGrants(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	var grants []store.Grant
	for i := range 30 {
		g := store.Grant{
			ID:       fmt.Sprintf("g%02d", i),
			UserID:   []string{"ann", "bob"}[i%2],
			ClientID: []string{"web", "cli", "spa"}[i%3],
			// Three grants per second: ties in CreatedAt are ordered by ID.
			CreatedAt: now.Add(time.Duration(i/3-10) * time.Second),
			ExpiresAt: now.Add(time.Hour),
		}
		if i%7 == 0 {
			g.ExpiresAt = now.Add(-time.Second)
		}
		grants = append(grants, g)
		if err := s.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	revoked := map[string]bool{"g04": true, "g11": true, "g25": true}
	for id := range revoked {
		if err := s.RevokeGrant(ctx, id, now); err != nil {
			t.Fatal(err)
		}
	}
	// newestFirst is the IDs of the grants keep selects, in the order the
	// store must list them.
	newestFirst := func(keep func(store.Grant) bool) []string {
		var sel []store.Grant
		for _, g := range grants {
			if keep(g) {
				sel = append(sel, g)
			}
		}
		slices.SortFunc(sel, func(a, b store.Grant) int {
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(b.ID, a.ID)
		})
		return grantIDs(sel)
	}
	live := func(g store.Grant) bool { return !revoked[g.ID] && g.ExpiresAt.After(now) }
	tests := []struct {
		name string
		f    store.GrantFilter
		want []string
	}{
		{"all", store.GrantFilter{}, newestFirst(func(store.Grant) bool { return true })},
		{"by user", store.GrantFilter{UserID: "ann"}, newestFirst(func(g store.Grant) bool { return g.UserID == "ann" })},
		{"by client", store.GrantFilter{ClientID: "cli"}, newestFirst(func(g store.Grant) bool { return g.ClientID == "cli" })},
		{"by user and client", store.GrantFilter{UserID: "bob", ClientID: "spa"},
			newestFirst(func(g store.Grant) bool { return g.UserID == "bob" && g.ClientID == "spa" })},
		{"live", store.GrantFilter{Live: true, Now: now}, newestFirst(live)},
		{"live now by default", store.GrantFilter{Live: true}, newestFirst(live)},
		{"live by user", store.GrantFilter{UserID: "bob", Live: true, Now: now},
			newestFirst(func(g store.Grant) bool { return g.UserID == "bob" && live(g) })},
		{"live long ago", store.GrantFilter{ClientID: "web", Live: true, Now: now.Add(-time.Hour)},
			newestFirst(func(g store.Grant) bool { return g.ClientID == "web" && !revoked[g.ID] })},
		{"nobody", store.GrantFilter{UserID: "carl"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListGrants(ctx, tt.f)
			if err != nil {
				t.Fatalf("ListGrants: %v", err)
			}
			if !slices.Equal(grantIDs(got), tt.want) {
				t.Fatalf("ListGrants = %v, want %v", grantIDs(got), tt.want)
			}
			for _, g := range got {
				if revoked[g.ID] != !g.RevokedAt.IsZero() {
					t.Errorf("grant %s: RevokedAt %v, revoked %v", g.ID, g.RevokedAt, revoked[g.ID])
				}
			}
			for _, limit := range []int{1, 2, 4} {
				f := tt.f
				f.Limit = limit
				if walked := walkGrants(t, s, f); !slices.Equal(walked, tt.want) {
					t.Fatalf("walking %d at a time gave %v, want %v", limit, walked, tt.want)
				}
			}
		})
	}
	// A cursor by time alone starts before that second.
	got, err := s.ListGrants(ctx, store.GrantFilter{BeforeCreated: now.Add(-8 * time.Second)})
	if want := newestFirst(func(g store.Grant) bool { return g.CreatedAt.Before(now.Add(-8 * time.Second)) }); err != nil || !slices.Equal(grantIDs(got), want) {
		t.Fatalf("ListGrants before a time = %v, %v; want %v", grantIDs(got), err, want)
	}
}

// testListGrantsLimits checks the default and the largest page size.
func testListGrantsLimits(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	const n = store.DefaultPageLimit + 5
	for i := range n {
		if err := s.CreateGrant(ctx, store.Grant{ID: fmt.Sprintf("g%03d", i), UserID: "u", ClientID: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		limit int
		want  int
	}{
		{"zero means the default", 0, store.DefaultPageLimit},
		{"as asked", 3, 3},
		{"more than there are", store.MaxPageLimit * 2, n},
	}
	for _, tt := range tests {
		if got, err := s.ListGrants(ctx, store.GrantFilter{Limit: tt.limit}); err != nil || len(got) != tt.want {
			t.Errorf("%s: ListGrants(Limit %d) gave %d grants, %v; want %d", tt.name, tt.limit, len(got), err, tt.want)
		}
	}
}

// walkGrants follows f's pages to the end and returns the IDs seen.
func walkGrants(t *testing.T, s store.Store, f store.GrantFilter) []string {
	t.Helper()
	var out []string
	for range 1000 {
		page, err := s.ListGrants(context.Background(), f)
		if err != nil {
			t.Fatalf("ListGrants(before %v %q): %v", f.BeforeCreated, f.BeforeID, err)
		}
		if len(page) > f.Limit {
			t.Fatalf("a page of %d grants, limit %d", len(page), f.Limit)
		}
		out = append(out, grantIDs(page)...)
		if len(page) < f.Limit {
			return out
		}
		last := page[len(page)-1]
		f.BeforeCreated, f.BeforeID = last.CreatedAt, last.ID
	}
	t.Fatal("the walk did not end")
	return nil
}

func grantIDs(gs []store.Grant) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.ID)
	}
	return out
}
