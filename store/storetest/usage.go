package storetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// usageHour is an hour the usage tests count in: 10:00 UTC on a Monday.
var usageHour = time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC)

// testUsage adds counts in two batches, retries one, and reads them back
// through every filter and both periods.
func testUsage(t *testing.T, s store.Store) {
	ctx := context.Background()
	h := usageHour
	calls := func(hour time.Time, client, route, outcome string, n int64) store.UsageCount {
		return store.UsageCount{Hour: hour, ClientID: client, API: "https://api", Route: route, Metric: "api_calls", Detail: outcome, Count: n}
	}
	first := []store.UsageCount{
		calls(h, "a", "/users", "allowed", 3),
		calls(h, "a", "/users", "expired", 1),
		calls(h.Add(time.Hour), "a", "/users", "allowed", 2),
		calls(h, "b", "/orders", "allowed", 5),
		{Hour: h, ClientID: "a", API: "https://other", Metric: "tokens_issued", Detail: "client_credentials", Count: 4},
		// The next day.
		calls(h.Add(24*time.Hour), "a", "/users", "allowed", 7),
	}
	if err := s.AddUsage(ctx, "batch-1", first); err != nil {
		t.Fatalf("AddUsage: %v", err)
	}
	// A second instance adds to the same row; a retried batch adds nothing.
	if err := s.AddUsage(ctx, "batch-2", []store.UsageCount{calls(h, "a", "/users", "allowed", 10)}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUsage(ctx, "batch-1", first); err != nil {
		t.Fatalf("AddUsage retried: %v", err)
	}
	all, err := s.ListUsage(ctx, store.UsageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.UsageCount{
		calls(h, "a", "/users", "allowed", 13),
		calls(h, "a", "/users", "expired", 1),
		{Hour: h, ClientID: "a", API: "https://other", Metric: "tokens_issued", Detail: "client_credentials", Count: 4},
		calls(h, "b", "/orders", "allowed", 5),
		calls(h.Add(time.Hour), "a", "/users", "allowed", 2),
		calls(h.Add(24*time.Hour), "a", "/users", "allowed", 7),
	}
	if !equalUsage(all, want) {
		t.Fatalf("ListUsage = %+v\nwant %+v", all, want)
	}
	day := h.Truncate(24 * time.Hour)
	tests := []struct {
		name string
		f    store.UsageFilter
		want []store.UsageCount
	}{
		{"by client", store.UsageFilter{ClientID: "b"}, []store.UsageCount{calls(h, "b", "/orders", "allowed", 5)}},
		{"by api", store.UsageFilter{API: "https://other"}, want[2:3]},
		{"by route", store.UsageFilter{Route: "/orders"}, want[3:4]},
		{"since", store.UsageFilter{Since: h.Add(time.Hour)}, want[4:]},
		{"until", store.UsageFilter{Until: h.Add(time.Hour)}, want[:4]},
		{"since and until", store.UsageFilter{Since: h.Add(time.Hour), Until: h.Add(2 * time.Hour)}, want[4:5]},
		{"limit", store.UsageFilter{Limit: 2}, want[:2]},
		{"by day", store.UsageFilter{ClientID: "a", Route: "/users", Period: 24 * time.Hour}, []store.UsageCount{
			calls(day, "a", "/users", "allowed", 15),
			calls(day, "a", "/users", "expired", 1),
			calls(day.Add(24*time.Hour), "a", "/users", "allowed", 7),
		}},
		{"nothing", store.UsageFilter{ClientID: "nobody"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListUsage(ctx, tt.f)
			if err != nil || !equalUsage(got, tt.want) {
				t.Fatalf("ListUsage = %+v, %v\nwant %+v", got, err, tt.want)
			}
		})
	}
	// Once its ID is forgotten, a batch ID is new again.
	if err := s.DeleteExpired(ctx, time.Now().Add(store.UsageBatchTTL+time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUsage(ctx, "batch-2", []store.UsageCount{calls(h, "a", "/users", "allowed", 10)}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ListUsage(ctx, store.UsageFilter{ClientID: "a", Route: "/users", Until: h.Add(time.Hour)}); err != nil || len(got) != 2 || got[0].Count != 23 {
		t.Fatalf("after the batch IDs expired: %+v, %v; want 23 allowed calls", got, err)
	}
}

// testUsageConcurrent has 50 writers, as many instances flushing at once,
// add overlapping batches to the same rows, each batch sorted as the
// writers sort them: every count is added once and none deadlocks.
func testUsageConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const writers, rows = 50, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			var batch []store.UsageCount
			// Writer w adds 1 to rows w%rows.. and on, up to rows/2 of them.
			for i := range rows / 2 {
				r := (w + i) % rows
				batch = append(batch, store.UsageCount{Hour: usageHour, ClientID: fmt.Sprintf("c%02d", r), API: "https://api", Metric: "api_calls", Detail: "allowed", Count: 1})
			}
			slices.SortFunc(batch, func(a, b store.UsageCount) int { return cmp.Compare(a.ClientID, b.ClientID) })
			if err := s.AddUsage(ctx, fmt.Sprintf("w%d", w), batch); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("AddUsage: %v", err)
	}
	got, err := s.ListUsage(ctx, store.UsageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, c := range got {
		total += c.Count
	}
	if len(got) != rows || total != writers*rows/2 {
		t.Fatalf("%d rows summing to %d; want %d rows summing to %d", len(got), total, rows, writers*rows/2)
	}
}

// testUsageRetention deletes the rows of hours before a cutoff, more than
// one batch of them, and keeps the rest.
func testUsageRetention(t *testing.T, s store.Store) {
	ctx := context.Background()
	cutoff := usageHour
	var old []store.UsageCount
	for i := range 11000 {
		old = append(old, store.UsageCount{Hour: cutoff.Add(-time.Duration(1+i/100) * time.Hour), ClientID: fmt.Sprintf("c%03d", i%100), Metric: "api_calls", Detail: "allowed", Count: 1})
	}
	if err := s.AddUsage(ctx, "old", old); err != nil {
		t.Fatal(err)
	}
	kept := []store.UsageCount{
		{Hour: cutoff, ClientID: "at-cutoff", Metric: "api_calls", Detail: "allowed", Count: 1},
		{Hour: cutoff.Add(time.Hour), ClientID: "newer", Metric: "api_calls", Detail: "allowed", Count: 1},
	}
	if err := s.AddUsage(ctx, "kept", kept); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteUsageBefore(ctx, cutoff); err != nil || n != 11000 {
		t.Fatalf("DeleteUsageBefore = %d, %v; want 11000", n, err)
	}
	if left, err := s.ListUsage(ctx, store.UsageFilter{}); err != nil || !equalUsage(left, kept) {
		t.Fatalf("left after the sweep: %+v, %v; want the hour at the cutoff and the newer one", left, err)
	}
	if n, err := s.DeleteUsageBefore(ctx, cutoff); err != nil || n != 0 {
		t.Fatalf("second sweep = %d, %v; want 0", n, err)
	}
}

func equalUsage(got, want []store.UsageCount) bool {
	return slices.EqualFunc(got, want, func(a, b store.UsageCount) bool {
		return a.Hour.Equal(b.Hour) && a.ClientID == b.ClientID && a.API == b.API && a.Route == b.Route &&
			a.Metric == b.Metric && a.Detail == b.Detail && a.Count == b.Count
	})
}
