package usage

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"testing"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/store"
)

type discardAuditor struct{}

func (discardAuditor) Record(context.Context, slog.Level, store.AuditEvent) {}

// TestBoundedMemory sends what an attacker with 10^5 distinct tokens,
// addresses, client_ids and accounts would make the detectors see: every
// table stays within max_keys, and the heap grows less than the bound the
// README states for the defaults.
func TestBoundedMemory(t *testing.T) {
	const n = 100000
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	d, err := NewDetector(Anomalies{}, Options{Auditor: discardAuditor{}, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	a := d.Auditing(discardAuditor{})
	ctx := context.Background()
	for i := range n {
		addr := fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255)
		ua := fmt.Sprintf("agent/%d", i)
		d.Observe(Event{Kind: APICall, ClientID: fmt.Sprint("client-", i), TokenID: fmt.Sprint("jti-", i), Address: addr, UserAgent: ua, Outcome: "allowed"})
		d.Observe(Event{Kind: APICall, ClientID: "svc", TokenID: "one-token", Address: addr, UserAgent: ua, Outcome: "allowed"})
		d.Observe(Event{Kind: APICall, TokenID: fmt.Sprint("revoked-", i), Address: addr, Outcome: outcomeRevoked})
		d.Observe(Event{Kind: TokenIssued, ClientID: fmt.Sprint("issued-", i)})
		a.Record(ctx, slog.LevelWarn, store.AuditEvent{Type: audit.ClientAuthFailed, ClientID: fmt.Sprint("made-up-", i), Remote: addr})
		a.Record(ctx, slog.LevelWarn, store.AuditEvent{Type: audit.LoginFailed, Remote: addr,
			Detail: map[string]any{"username_hash": fmt.Sprint("h", i)}})
		a.Record(ctx, slog.LevelWarn, store.AuditEvent{Type: audit.RefreshReuse, ClientID: "web", Subject: fmt.Sprint("user-", i)})
	}
	tables := map[string]int{"tokens": d.tokens.len(), "issued rates": d.issuedRates.len(), "call rates": d.callRates.len(),
		"failures": d.failures.len(), "by address": d.byAddress.len(), "by account": d.byAccount.len(),
		"presented": d.presented.len(), "reuses": d.reuses.len()}
	for name, got := range tables {
		if got > DefaultDetectorKeys {
			t.Errorf("table %s holds %d keys, over max_keys %d", name, got, DefaultDetectorKeys)
		}
		if got < DefaultDetectorKeys/2 {
			t.Errorf("table %s holds %d keys: the flood did not reach it", name, got)
		}
	}
	grown := heap() - before
	runtime.KeepAlive(d)
	t.Logf("detector state after %d distinct keys per table: %.1f MiB", n, float64(grown)/(1<<20))
	if grown > maxHeapAtDefaults {
		t.Errorf("the heap grew %d bytes, over the stated %d", grown, maxHeapAtDefaults)
	}
}

// maxHeapAtDefaults is the bound the README states for the detectors'
// state at the default max_keys, all eight tables full of the largest
// entries defaults allow.
const maxHeapAtDefaults = 32 << 20
