package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/backoff"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/sqlite"
)

// The fault tests run the recorder against a real SQLite store behind
// wrappers that fail, stall or block its writes.

func openSQLite(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// fastRetry keeps the tests short: the schedule's shape, not its pace, is
// under test.
var fastRetry = backoff.Schedule{Base: time.Millisecond, Max: 4 * time.Millisecond, Attempts: 1000}

// start runs a recorder with the retry schedule b.
func start(w Writer, log *slog.Logger, o Options, b backoff.Schedule) *Recorder {
	r := newRecorder(w, log, o)
	r.retry = b
	go r.run()
	return r
}

// dropCounter is the Dropped hook of the tests: the metric.
type dropCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (d *dropCounter) add(reason string, n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == nil {
		d.n = map[string]int{}
	}
	d.n[reason] += n
}

func (d *dropCounter) get(reason string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n[reason]
}

// loggedDrops sums the "dropped N audit events" summary lines of a JSON
// log, in total and by reason.
func loggedDrops(t *testing.T, logs string) (int, map[string]int) {
	t.Helper()
	total, by := 0, map[string]int{}
	for line := range strings.Lines(logs) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		var n int
		if _, err := fmt.Sscanf(rec["msg"].(string), "dropped %d audit events", &n); err != nil {
			continue
		}
		total += n
		for _, r := range DropReasons {
			if v, ok := rec[r].(float64); ok {
				by[r] += int(v)
			}
		}
	}
	return total, by
}

// syncBuffer is a log sink safe for the recorder's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var errUnreachable = errors.New("store unreachable")

// flakyWriter fails its first failures writes. Every other failure
// happens after the write committed, as when the answer is lost on the
// way back, so that a retry that is not idempotent stores duplicates.
type flakyWriter struct {
	Writer
	mu       sync.Mutex
	failures int
	calls    int
}

func (w *flakyWriter) AppendAudit(ctx context.Context, events []store.AuditEvent) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls++
	if w.calls > w.failures {
		return w.Writer.AppendAudit(ctx, events)
	}
	if w.calls%2 == 1 {
		if err := w.Writer.AppendAudit(ctx, events); err != nil {
			return err
		}
	}
	return errUnreachable
}

// TestFaultStoreFailsThenRecovers: the store refuses writes, some after
// committing them, then recovers; every event is stored exactly once and
// nothing is counted as dropped.
func TestFaultStoreFailsThenRecovers(t *testing.T) {
	st := openSQLite(t)
	w := &flakyWriter{Writer: st, failures: 9}
	var drops dropCounter
	r := start(w, slog.New(slog.DiscardHandler), Options{Dropped: drops.add}, fastRetry)
	const n = 1000
	for i := range n {
		r.Record(context.Background(), slog.LevelInfo, store.AuditEvent{Type: TokenIssued, ClientID: "svc", Detail: map[string]any{"n": i}})
	}
	r.Close()
	got, err := st.ListAudit(context.Background(), store.AuditFilter{Limit: 10 * n})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[float64]int{}
	for _, e := range got {
		seen[e.Detail["n"].(float64)]++
	}
	for i := range n {
		if seen[float64(i)] != 1 {
			t.Fatalf("event %d stored %d times; want once (%d rows for %d events)", i, seen[float64(i)], len(got), n)
		}
	}
	if len(got) != n {
		t.Fatalf("stored %d rows; want %d", len(got), n)
	}
	if w.calls <= w.failures {
		t.Fatalf("the store was written %d times; the test needs its %d failures to happen", w.calls, w.failures)
	}
	for _, reason := range DropReasons {
		if drops.get(reason) != 0 {
			t.Fatalf("dropped %d for %s; want none", drops.get(reason), reason)
		}
	}
}

// gateWriter holds every write until open is closed: a store that hangs.
type gateWriter struct {
	Writer
	open chan struct{}
}

func (w gateWriter) AppendAudit(ctx context.Context, events []store.AuditEvent) error {
	select {
	case <-w.open:
	case <-ctx.Done():
		return ctx.Err()
	}
	return w.Writer.AppendAudit(ctx, events)
}

// TestFaultBufferOverflow: with the store hanging, the bounded buffer
// overflows; every event is either stored or counted, in the metric and
// in the log's summary, once the store comes back.
func TestFaultBufferOverflow(t *testing.T) {
	st := openSQLite(t)
	w := gateWriter{Writer: st, open: make(chan struct{})}
	var drops dropCounter
	var logs syncBuffer
	r := start(w, slog.New(slog.NewJSONHandler(&logs, nil)), Options{Buffer: 100, Dropped: drops.add}, fastRetry)
	const n = 1000
	for i := range n {
		r.Record(context.Background(), slog.LevelInfo, store.AuditEvent{Type: TokenIssued, Detail: map[string]any{"n": i}})
	}
	close(w.open)
	r.Close()
	got, err := st.ListAudit(context.Background(), store.AuditFilter{Limit: 10 * n})
	if err != nil {
		t.Fatal(err)
	}
	dropped := drops.get(DropBufferFull)
	if dropped == 0 || len(got)+dropped != n {
		t.Fatalf("stored %d, counted %d dropped; want some dropped and the two to add up to %d", len(got), dropped, n)
	}
	if total, by := loggedDrops(t, logs.String()); total != dropped || by[DropBufferFull] != dropped {
		t.Fatalf("log summarised %d dropped (%v); want %d, all buffer_full", total, by, dropped)
	}
}

// failWriter refuses every write: a store that rejects the batch.
type failWriter struct{}

func (failWriter) AppendAudit(context.Context, []store.AuditEvent) error { return errUnreachable }

// TestFaultStoreErrorGivesUp: a batch the store refuses at every attempt
// of the schedule is given up and counted as store_error.
func TestFaultStoreErrorGivesUp(t *testing.T) {
	var drops dropCounter
	var logs syncBuffer
	r := start(failWriter{}, slog.New(slog.NewJSONHandler(&logs, nil)), Options{Dropped: drops.add},
		backoff.Schedule{Base: time.Millisecond, Max: time.Millisecond, Attempts: 3})
	for range 50 {
		r.Record(context.Background(), slog.LevelInfo, store.AuditEvent{Type: TokenIssued})
	}
	r.Close()
	if got := drops.get(DropStoreError); got != 50 {
		t.Fatalf("store_error drops = %d; want 50", got)
	}
	if total, by := loggedDrops(t, logs.String()); total != 50 || by[DropStoreError] != 50 {
		t.Fatalf("log summarised %d dropped (%v); want 50 store_error", total, by)
	}
}

// TestFaultShutdownDeadline: Close gives up at the shutdown timeout, even
// on a write in flight, and counts every event it could not store.
func TestFaultShutdownDeadline(t *testing.T) {
	w := gateWriter{Writer: nopWriter{}, open: make(chan struct{})} // never opens
	var drops dropCounter
	var logs syncBuffer
	r := start(w, slog.New(slog.NewJSONHandler(&logs, nil)),
		Options{ShutdownTimeout: 50 * time.Millisecond, Dropped: drops.add}, fastRetry)
	const n = 300 // more than a batch: one write is in flight at Close
	for range n {
		r.Record(context.Background(), slog.LevelInfo, store.AuditEvent{Type: TokenIssued})
	}
	r.Close()
	if got := drops.get(DropShutdown) + drops.get(DropStoreError); got != n || drops.get(DropBufferFull) != 0 {
		t.Fatalf("drops = %v; want all %d counted at shutdown", drops.n, n)
	}
	if total, _ := loggedDrops(t, logs.String()); total != n {
		t.Fatalf("log summarised %d dropped; want %d", total, n)
	}
}

// TestFaultRepeatedRefusals: 10,000 identical wrong-secret refusals from
// many goroutines are stored as a handful of rows whose counts add up to
// 10,000, and logged as few lines; a refusal from another address is
// recorded on its own. Interval ends are driven by the test.
func TestFaultRepeatedRefusals(t *testing.T) {
	tests := []struct {
		name      string
		intervals int
	}{
		{"one interval", 1},
		{"three intervals", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openSQLite(t)
			var logs syncBuffer
			r := start(st, slog.New(slog.NewJSONHandler(&logs, nil)), Options{Interval: time.Hour}, fastRetry)
			refusal := store.AuditEvent{Type: ClientAuthFailed, ClientID: "svc", Remote: "203.0.113.9",
				Detail: map[string]any{"reason": "wrong client secret", "path": "/token"}}
			const goroutines, each = 10, 1000
			for i := range tt.intervals {
				var wg sync.WaitGroup
				for g := range goroutines {
					wg.Go(func() {
						for k := range each {
							if (g*each+k)%tt.intervals == i {
								r.Record(context.Background(), slog.LevelWarn, refusal)
							}
						}
					})
				}
				wg.Wait()
				if i < tt.intervals-1 {
					r.recordFolded() // the interval ends
				}
			}
			other := refusal
			other.Remote = "198.51.100.7"
			r.Record(context.Background(), slog.LevelWarn, other)
			r.Close() // flushes the last interval's count
			got, err := st.ListAudit(context.Background(), store.AuditFilter{Type: ClientAuthFailed})
			if err != nil {
				t.Fatal(err)
			}
			sum, rows := 0, 0
			for _, e := range got {
				if e.Remote != refusal.Remote {
					continue
				}
				rows++
				sum++
				if c, ok := e.Detail["count"].(float64); ok {
					sum += int(c) - 1
				}
				if e.Detail["reason"] != "wrong client secret" {
					t.Fatalf("folded event lost its detail: %+v", e)
				}
			}
			if sum != goroutines*each || rows != 2*tt.intervals {
				t.Fatalf("%d rows with counts adding to %d; want %d rows adding to %d", rows, sum, 2*tt.intervals, goroutines*each)
			}
			if len(got) != rows+1 {
				t.Fatalf("the other address's refusal: %d rows in all, want %d", len(got), rows+1)
			}
			if lines := strings.Count(logs.String(), `"event":"client_auth_failed"`); lines != rows+1 {
				t.Fatalf("%d log lines; want one per stored row, %d", lines, rows+1)
			}
		})
	}
}
