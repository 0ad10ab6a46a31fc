package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// errStale stands for the sentinel errors callers pass through an
// updater, such as a stale If-Match.
var errStale = errors.New("storetest: stale")

// testUpdateClient changes a client through an updater and checks what
// it may not change: its ID and creation time stay, an updater error
// leaves the row as it was and comes back unchanged, and a missing client
// is ErrNotFound.
func testUpdateClient(t *testing.T, s store.Store) {
	ctx := context.Background()
	created := time.Unix(1700000000, 0).UTC()
	c := store.Client{ID: "web", AuthMethod: store.AuthNone, GrantTypes: []string{"authorization_code"},
		RedirectURIs: []string{"https://app.example/cb"}, CreatedAt: created}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	updated := created.Add(time.Hour)
	err := s.UpdateClient(ctx, "web", func(c *store.Client) error {
		c.ID, c.CreatedAt, c.UpdatedAt = "renamed", time.Time{}, updated
		c.Name, c.AccessTokenTTL = "Web app", 5*time.Minute
		c.RateLimit = &store.RateLimit{Rate: 10, Period: time.Minute, Burst: 5}
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateClient: %v", err)
	}
	got, err := s.GetClient(ctx, "web")
	if err != nil {
		t.Fatalf("GetClient after update: %v", err)
	}
	if got.ID != "web" || !got.CreatedAt.Equal(created) || !got.UpdatedAt.Equal(updated) || got.Name != "Web app" ||
		got.AccessTokenTTL != 5*time.Minute || got.RateLimit == nil || got.RateLimit.Burst != 5 {
		t.Fatalf("after update: %+v; want ID and created_at kept, the rest changed", got)
	}
	if _, err := s.GetClient(ctx, "renamed"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the updater renamed the client: GetClient(renamed) = %v", err)
	}

	err = s.UpdateClient(ctx, "web", func(c *store.Client) error {
		c.Name = "changed by a failed update"
		return fmt.Errorf("if-match: %w", errStale)
	})
	if !errors.Is(err, errStale) || err.Error() != "if-match: storetest: stale" {
		t.Fatalf("UpdateClient with a failing updater: got %v, want its error unchanged", err)
	}
	if got, _ := s.GetClient(ctx, "web"); got.Name != "Web app" {
		t.Fatalf("a failed update changed the client: %+v", got)
	}
	called := false
	err = s.UpdateClient(ctx, "nope", func(*store.Client) error { called = true; return nil })
	if !errors.Is(err, store.ErrNotFound) || called {
		t.Fatalf("UpdateClient of a missing client: got %v (updater called: %v), want ErrNotFound", err, called)
	}
}

// testUpdateClientConcurrent has 50 goroutines each add their own
// redirect URI to one client: none of the 50 may be lost.
func testUpdateClientConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.CreateClient(ctx, store.Client{ID: "spa", AuthMethod: store.AuthNone, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range concurrentUpdates {
		want = append(want, fmt.Sprintf("https://app.example/cb/%02d", i))
	}
	concurrently(t, want, func(uri string) error {
		return s.UpdateClient(ctx, "spa", func(c *store.Client) error {
			c.RedirectURIs = append(c.RedirectURIs, uri)
			return nil
		})
	})
	got, err := s.GetClient(ctx, "spa")
	if err != nil {
		t.Fatal(err)
	}
	if slices.Sort(got.RedirectURIs); !slices.Equal(got.RedirectURIs, want) {
		t.Fatalf("after %d concurrent updates the client has %d redirect URIs, want all %d: %v",
			len(want), len(got.RedirectURIs), len(want), got.RedirectURIs)
	}
}

// concurrentUpdates is how many goroutines the concurrent update tests run.
const concurrentUpdates = 50

// concurrently runs update once for each of items, all at once, and
// fails the test on any error.
func concurrently(t *testing.T, items []string, update func(item string) error) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, item := range items {
		wg.Go(func() {
			<-start
			if err := update(item); err != nil {
				t.Errorf("update %s: %v", item, err)
			}
		})
	}
	close(start)
	wg.Wait()
}
