package audit

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/requestid"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/sqlite"
)

func TestRecorder(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var logs bytes.Buffer
	r := New(st, slog.New(slog.NewJSONHandler(&logs, nil)), Options{})
	reqCtx := requestid.With(ctx, "rid-7")
	for i := range 450 { // more than two batches
		r.Record(reqCtx, slog.LevelInfo, store.AuditEvent{Type: TokenIssued, ClientID: "svc", Detail: map[string]any{"n": i}})
	}
	r.Record(reqCtx, slog.LevelWarn, store.AuditEvent{Type: RefreshReuse, Subject: "u1", ClientID: "web"})
	r.Close()
	got, err := st.ListAudit(ctx, store.AuditFilter{Limit: 10000})
	if err != nil || len(got) != 451 {
		t.Fatalf("stored %d events, %v; want all 451 after Close", len(got), err)
	}
	if got[0].Type != RefreshReuse || got[0].RequestID != "rid-7" || got[0].Time.IsZero() {
		t.Fatalf("newest event = %+v", got[0])
	}
	out := logs.String()
	if !strings.Contains(out, `"event":"refresh_reuse"`) || !strings.Contains(out, `"level":"WARN"`) || !strings.Contains(out, `"sub":"u1"`) {
		t.Fatalf("log lacks the event: %s", out[len(out)-300:])
	}
}

type slowWriter struct{ block chan struct{} }

func (w slowWriter) AppendAudit(context.Context, []store.AuditEvent) error { <-w.block; return nil }

// TestRecorderNeverBlocks: with the store stuck, Record still returns at
// once and counts what it drops.
func TestRecorderNeverBlocks(t *testing.T) {
	w := slowWriter{block: make(chan struct{})}
	dropped := 0
	r := New(w, slog.New(slog.DiscardHandler), Options{Buffer: 100, Dropped: func(string, int) { dropped++ }})
	for range 100 + batchSize + 100 {
		r.Record(context.Background(), slog.LevelInfo, store.AuditEvent{Type: TokenIssued})
	}
	if dropped == 0 {
		t.Fatal("a full queue dropped nothing: Record must have blocked or grown without bound")
	}
	close(w.block)
	r.Close()
}
