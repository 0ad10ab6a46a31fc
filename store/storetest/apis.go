package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// testAPIs creates, reads, lists, updates and deletes APIs.
func testAPIs(t *testing.T, s store.Store) {
	ctx := context.Background()
	created := time.Unix(1700000000, 0).UTC()
	orders := store.API{
		Identifier: "https://orders.example", Name: "Orders",
		Scopes:         []store.Scope{{Name: "orders:read", Description: "Read orders"}, {Name: "orders:write"}},
		AccessTokenTTL: 10 * time.Minute, IntrospectionClients: []string{"gw"}, CreatedAt: created,
	}
	// Identifiers are URIs; one with a path and a query must round-trip.
	billing := store.API{Identifier: "https://api.example/billing?v=2", Scopes: []store.Scope{{Name: "billing"}}, CreatedAt: created}
	for _, a := range []store.API{orders, billing} {
		if err := s.CreateAPI(ctx, a); err != nil {
			t.Fatalf("CreateAPI(%s): %v", a.Identifier, err)
		}
	}
	if err := s.CreateAPI(ctx, store.API{Identifier: orders.Identifier, CreatedAt: created}); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("CreateAPI twice: got %v, want ErrAlreadyExists", err)
	}
	got, err := s.GetAPI(ctx, orders.Identifier)
	if err != nil {
		t.Fatalf("GetAPI: %v", err)
	}
	if got.Name != "Orders" || !slices.Equal(got.Scopes, orders.Scopes) || got.AccessTokenTTL != 10*time.Minute ||
		!slices.Equal(got.IntrospectionClients, []string{"gw"}) || !got.CreatedAt.Equal(created) || !got.UpdatedAt.IsZero() {
		t.Fatalf("GetAPI = %+v, want %+v", got, orders)
	}
	if _, err := s.GetAPI(ctx, "https://nope.example"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetAPI unknown: got %v, want ErrNotFound", err)
	}
	all, err := s.ListAPIs(ctx)
	if err != nil || len(all) != 2 || all[0].Identifier != billing.Identifier || all[1].Identifier != orders.Identifier {
		t.Fatalf("ListAPIs = %+v, %v; want billing, orders by identifier", all, err)
	}

	updated := created.Add(time.Hour)
	err = s.UpdateAPI(ctx, orders.Identifier, func(a *store.API) error {
		a.Identifier, a.CreatedAt, a.UpdatedAt = "https://elsewhere.example", time.Time{}, updated
		a.Scopes = append(a.Scopes, store.Scope{Name: "orders:admin"})
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateAPI: %v", err)
	}
	got, err = s.GetAPI(ctx, orders.Identifier)
	if err != nil || len(got.Scopes) != 3 || !got.CreatedAt.Equal(created) || !got.UpdatedAt.Equal(updated) {
		t.Fatalf("after UpdateAPI: %+v, %v; want a third scope, created_at kept, updated_at set", got, err)
	}
	if _, err := s.GetAPI(ctx, "https://elsewhere.example"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the updater changed the identifier: GetAPI(elsewhere) = %v", err)
	}
	err = s.UpdateAPI(ctx, orders.Identifier, func(a *store.API) error {
		a.Scopes = nil
		return errStale
	})
	if err != errStale { // the very value, not a wrapping of it
		t.Fatalf("UpdateAPI with a failing updater: got %v, want errStale itself", err)
	}
	if got, _ := s.GetAPI(ctx, orders.Identifier); len(got.Scopes) != 3 {
		t.Fatalf("a failed update changed the API: %+v", got)
	}
	if err := s.UpdateAPI(ctx, "https://nope.example", func(*store.API) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateAPI unknown: got %v, want ErrNotFound", err)
	}

	if err := s.DeleteAPI(ctx, orders.Identifier, nil); err != nil {
		t.Fatalf("DeleteAPI: %v", err)
	}
	if err := s.DeleteAPI(ctx, orders.Identifier, nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteAPI twice: got %v, want ErrNotFound", err)
	}
	if all, _ := s.ListAPIs(ctx); len(all) != 1 || all[0].Identifier != billing.Identifier {
		t.Fatalf("after DeleteAPI: %+v, want billing alone", all)
	}
	if err := s.CreateAPI(ctx, orders); err != nil {
		t.Fatalf("CreateAPI after delete: %v", err)
	}
}

// testUpdateAPIConcurrent has 50 goroutines each add their own scope to
// one API: none of the 50 may be lost.
func testUpdateAPIConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const id = "https://concurrent.example"
	if err := s.CreateAPI(ctx, store.API{Identifier: id, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range concurrentUpdates {
		want = append(want, fmt.Sprintf("scope:%02d", i))
	}
	concurrently(t, want, func(scope string) error {
		return s.UpdateAPI(ctx, id, func(a *store.API) error {
			a.Scopes = append(a.Scopes, store.Scope{Name: scope})
			return nil
		})
	})
	got, err := s.GetAPI(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	names := got.ScopeNames()
	if slices.Sort(names); !slices.Equal(names, want) {
		t.Fatalf("after %d concurrent updates the API has %d scopes, want all %d: %v", len(want), len(names), len(want), names)
	}
}
