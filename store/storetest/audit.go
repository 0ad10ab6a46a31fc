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
