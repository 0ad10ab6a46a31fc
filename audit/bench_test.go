package audit

import (
	"context"
	"log/slog"
	"testing"

	"github.com/portcullis/portcullis/store"
)

type nopWriter struct{}

func (nopWriter) AppendAudit(context.Context, []store.AuditEvent) error { return nil }

// BenchmarkRecord is the recorder's hot path for the token endpoint's
// event: log (discarded) and queue.
func BenchmarkRecord(b *testing.B) {
	r := New(nopWriter{}, slog.New(slog.DiscardHandler), Options{})
	defer r.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r.Record(ctx, slog.LevelInfo, store.AuditEvent{Type: TokenIssued, ClientID: "svc", Subject: "svc",
			Remote: "10.0.0.1", Detail: map[string]any{"grant_type": "client_credentials", "jti": "abc"}})
	}
}

// BenchmarkRecordRepeatedRefusal is the path of a flood of wrong secrets:
// every event but the first of the interval is only counted.
func BenchmarkRecordRepeatedRefusal(b *testing.B) {
	r := New(nopWriter{}, slog.New(slog.DiscardHandler), Options{})
	defer r.Close()
	ctx := context.Background()
	e := store.AuditEvent{Type: ClientAuthFailed, ClientID: "svc", Remote: "203.0.113.9",
		Detail: map[string]any{"reason": "wrong client secret", "path": "/token"}}
	b.ReportAllocs()
	for b.Loop() {
		r.Record(ctx, slog.LevelWarn, e)
	}
}
