package storetest

import (
	"context"
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
