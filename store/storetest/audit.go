package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

func testAudit(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := time.Now().Truncate(time.Microsecond)
	events := []store.AuditEvent{
		{Time: t0, Type: "login_failed", Subject: "", ClientID: "web", Remote: "10.0.0.1", Detail: map[string]any{"username": "ann"}},
		{Time: t0.Add(time.Second), Type: "token_issued", Subject: "u1", ClientID: "web", RequestID: "r1", Detail: map[string]any{"grant_type": "authorization_code"}},
		{Time: t0.Add(2 * time.Second), Type: "token_issued", Subject: "", ClientID: "svc"},
	}
	if err := s.AppendAudit(ctx, events); err != nil {
		t.Fatal(err)
	}
	all, err := s.ListAudit(ctx, store.AuditFilter{})
	if err != nil || len(all) != 3 || all[0].ClientID != "svc" || !(all[0].ID > all[1].ID) {
		t.Fatalf("ListAudit = %+v, %v; want 3, newest first", all, err)
	}
	if got := all[1]; got.Subject != "u1" || got.RequestID != "r1" || got.Detail["grant_type"] != "authorization_code" || !got.Time.Equal(t0.Add(time.Second)) {
		t.Fatalf("event round trip: %+v", got)
	}
	tests := []struct {
		name string
		f    store.AuditFilter
		want int
	}{
		{"by subject", store.AuditFilter{Subject: "u1"}, 1},
		{"by client", store.AuditFilter{ClientID: "web"}, 2},
		{"by type", store.AuditFilter{Type: "token_issued"}, 2},
		{"since", store.AuditFilter{Since: t0.Add(time.Second)}, 2},
		{"limit", store.AuditFilter{Limit: 1}, 1},
		{"combined", store.AuditFilter{ClientID: "web", Type: "login_failed"}, 1},
	}
	for _, tt := range tests {
		if got, err := s.ListAudit(ctx, tt.f); err != nil || len(got) != tt.want {
			t.Errorf("%s: got %d events, %v; want %d", tt.name, len(got), err, tt.want)
		}
	}
}

// testAuditRetention deletes events older than a cutoff, more than one
// batch of them, and keeps the rest.
func testAuditRetention(t *testing.T, s store.Store) {
	ctx := context.Background()
	cutoff := time.Now().Truncate(time.Microsecond)
	var old []store.AuditEvent
	for i := range 11000 {
		old = append(old, store.AuditEvent{Time: cutoff.Add(-time.Duration(i+1) * time.Second), Type: "login_failed"})
	}
	if err := s.AppendAudit(ctx, old); err != nil {
		t.Fatal(err)
	}
	kept := []store.AuditEvent{
		{Time: cutoff, Type: "token_issued", ClientID: "at-cutoff"},
		{Time: cutoff.Add(time.Hour), Type: "token_issued", ClientID: "newer"},
	}
	if err := s.AppendAudit(ctx, kept); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteAuditBefore(ctx, cutoff); err != nil || n != 11000 {
		t.Fatalf("DeleteAuditBefore = %d, %v; want 11000", n, err)
	}
	left, err := s.ListAudit(ctx, store.AuditFilter{})
	if err != nil || len(left) != 2 || left[0].ClientID != "newer" || left[1].ClientID != "at-cutoff" {
		t.Fatalf("left after the sweep: %+v, %v; want the event at the cutoff and the newer one", left, err)
	}
	if n, err := s.DeleteAuditBefore(ctx, cutoff); err != nil || n != 0 {
		t.Fatalf("second sweep = %d, %v; want 0", n, err)
	}
}

// testAuditIdempotent stores a batch twice, as a retry after a lost answer
// does: events with a UID are stored once, a new event in the retried
// batch is stored, and events without a UID (the CLI's) are stored each
// time.
func testAuditIdempotent(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := time.Now().Truncate(time.Microsecond)
	batch := []store.AuditEvent{
		{Time: t0, Type: "token_issued", ClientID: "idem", UID: "p-1"},
		{Time: t0, Type: "token_issued", ClientID: "idem", UID: "p-2"},
		{Time: t0, Type: "config_changed", ClientID: "idem"},
	}
	if err := s.AppendAudit(ctx, batch); err != nil {
		t.Fatal(err)
	}
	retried := append(batch, store.AuditEvent{Time: t0, Type: "token_issued", ClientID: "idem", UID: "p-3"})
	if err := s.AppendAudit(ctx, retried); err != nil {
		t.Fatalf("retried batch: %v", err)
	}
	got, err := s.ListAudit(ctx, store.AuditFilter{ClientID: "idem"})
	if err != nil {
		t.Fatal(err)
	}
	uids := map[string]int{}
	for _, e := range got {
		uids[e.UID]++
	}
	if len(got) != 5 || uids["p-1"] != 1 || uids["p-2"] != 1 || uids["p-3"] != 1 || uids[""] != 2 {
		t.Fatalf("stored %d events by UID %v; want p-1, p-2, p-3 once and the two without UID", len(got), uids)
	}
}

// testAuditPages selects events before a time and walks them a page at a
// time with the ID cursor, newest first, each event once.
func testAuditPages(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := time.Now().Truncate(time.Microsecond)
	var events []store.AuditEvent
	for i := range 25 {
		events = append(events, store.AuditEvent{Time: t0.Add(time.Duration(i) * time.Second), Type: "token_issued",
			ClientID: []string{"web", "svc"}[i%2], Detail: map[string]any{"n": float64(i)}})
	}
	if err := s.AppendAudit(ctx, events); err != nil {
		t.Fatal(err)
	}
	until, err := s.ListAudit(ctx, store.AuditFilter{Until: t0.Add(10 * time.Second)})
	if err != nil || len(until) != 10 || until[0].Detail["n"] != float64(9) || until[9].Detail["n"] != float64(0) {
		t.Fatalf("ListAudit until the 11th event = %d events, %v; want the first 10, newest first", len(until), err)
	}
	window, err := s.ListAudit(ctx, store.AuditFilter{Since: t0.Add(5 * time.Second), Until: t0.Add(8 * time.Second)})
	if err != nil || len(window) != 3 {
		t.Fatalf("ListAudit in a window = %d events, %v; want 3", len(window), err)
	}
	tests := []struct {
		name string
		f    store.AuditFilter
		want int
	}{
		{"all", store.AuditFilter{}, 25},
		{"by client", store.AuditFilter{ClientID: "svc"}, 12},
		{"until", store.AuditFilter{Until: t0.Add(20 * time.Second)}, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := s.ListAudit(ctx, tt.f)
			if err != nil || len(want) != tt.want {
				t.Fatalf("ListAudit = %d events, %v; want %d", len(want), err, tt.want)
			}
			f := tt.f
			f.Limit = 4
			var walked []int64
			for range 100 {
				page, err := s.ListAudit(ctx, f)
				if err != nil {
					t.Fatalf("ListAudit(Before %d): %v", f.Before, err)
				}
				for _, e := range page {
					walked = append(walked, e.ID)
				}
				if len(page) < f.Limit {
					break
				}
				f.Before = page[len(page)-1].ID
			}
			if len(walked) != len(want) {
				t.Fatalf("walking 4 at a time saw %d events, want %d", len(walked), len(want))
			}
			for i, e := range want {
				if walked[i] != e.ID {
					t.Fatalf("walk event %d is %d, want %d (newest first, each once)", i, walked[i], e.ID)
				}
			}
		})
	}
}

// testAuditLargeBatch stores batches larger than a backend's statement
// chunks, retried in part and holding one UID twice: each event is stored
// once, in order, with its detail.
func testAuditLargeBatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := time.Now().Truncate(time.Microsecond)
	var batch []store.AuditEvent
	for i := range 250 {
		batch = append(batch, store.AuditEvent{Time: t0.Add(time.Duration(i) * time.Millisecond), Type: "token_issued",
			ClientID: "large", UID: fmt.Sprint("large-", i), Detail: map[string]any{"n": float64(i)}})
	}
	if err := s.AppendAudit(ctx, batch[:120]); err != nil {
		t.Fatal(err)
	}
	retried := append(batch[100:], batch[249])
	if err := s.AppendAudit(ctx, retried); err != nil {
		t.Fatalf("retried batch: %v", err)
	}
	got, err := s.ListAudit(ctx, store.AuditFilter{ClientID: "large", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 {
		t.Fatalf("stored %d events, want 250", len(got))
	}
	seen := map[string]bool{}
	for _, e := range got {
		if seen[e.UID] {
			t.Fatalf("%s stored twice", e.UID)
		}
		seen[e.UID] = true
		if e.UID != fmt.Sprint("large-", e.Detail["n"]) {
			t.Fatalf("event %s has detail %v", e.UID, e.Detail)
		}
	}
}
