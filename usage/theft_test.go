package usage_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/audittest"
	"github.com/portcullis/portcullis/store/sqlite"
	"github.com/portcullis/portcullis/usage"
)

// TestTokenReplayedFromTwentyAddresses presents one token from 20
// addresses through the Sink: the audit trail (a real recorder and store,
// read back as portcullis anomalies does) holds exactly one anomaly, and
// the webhook receiver gets exactly one call, whose signature the test
// checks by computing the HMAC itself.
func TestTokenReplayedFromTwentyAddresses(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := audit.New(st, slog.New(slog.DiscardHandler), audit.Options{})
	clk, obs, recv := newClock(), newCounts(), newReceiver(t)
	d, err := usage.NewDetector(usage.Anomalies{}, usage.Options{Auditor: rec, Observer: obs,
		Alerts: newWebhook(recv, obs, clk, usage.WebhookConfig{}), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		d.Observe(call("jti-stolen", fmt.Sprintf("198.51.100.%d", i+1)))
		clk.Add(time.Second)
	}
	got := recv.next(t)
	d.Close() // waits for the webhook to stop
	rec.Close()
	recv.none(t)

	ds, err := usage.ListDetections(ctx, st, usage.DetectionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Fatalf("%d anomalies in the audit trail, want 1: %+v", len(ds), ds)
	}
	x := ds[0]
	if x.Rule != usage.RuleTokenTheft || x.TokenID != "jti-stolen" || x.ClientID != "svc" || x.Subject != "user-1" || x.ID == "" {
		t.Errorf("anomaly = %+v", x)
	}
	if n, _ := x.Evidence["distinct_addresses"].(float64); n != 4 {
		t.Errorf("evidence %v: want 4 distinct addresses, one more than the default 3", x.Evidence)
	}
	if obs.get(func(c *counts) map[string]int { return c.detected }, usage.RuleTokenTheft) != 1 {
		t.Errorf("detections counted: %v", obs.detected)
	}

	// The receiver's check, as the README tells receivers to do it.
	ts, sig, ok := strings.Cut(got.signature, ",v1=")
	ts, tsOK := strings.CutPrefix(ts, "t=")
	m := hmac.New(sha256.New, []byte(webhookSecret))
	m.Write([]byte(ts + "." + string(got.body)))
	if !ok || !tsOK || !hmac.Equal([]byte(sig), []byte(hex.EncodeToString(m.Sum(nil)))) {
		t.Errorf("signature %q does not match the body", got.signature)
	}
	if err := usage.VerifySignature([]byte(webhookSecret), got.signature, got.body, clk.Now(), 5*time.Minute); err != nil {
		t.Errorf("VerifySignature: %v", err)
	}
	p := got.payload
	if p["type"] != "anomaly" || p["rule"] != usage.RuleTokenTheft || p["id"] != x.ID || got.id != x.ID || p["token_id"] != "jti-stolen" {
		t.Errorf("payload %s, delivery %q; want the anomaly %s", got.body, got.id, x.ID)
	}
}

// TestTokenTheftConcurrent presents one token from 50 goroutines, each
// from its own address, several times: one detection, whatever the
// interleaving.
func TestTokenTheftConcurrent(t *testing.T) {
	events, clk := &audittest.Log{}, newClock()
	d := newDetector(t, usage.Anomalies{}, usage.Options{Auditor: events, Now: clk.Now})
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			for range 5 {
				d.Observe(call("jti-1", fmt.Sprintf("2001:db8:%x::1", i)))
			}
		})
	}
	wg.Wait()
	if got := events.OfType(audit.Anomaly); len(got) != 1 {
		t.Fatalf("%d anomaly events, want 1", len(got))
	}
}

// TestTokenTheftRule drives the rule's thresholds and window.
func TestTokenTheftRule(t *testing.T) {
	tests := []struct {
		name   string
		events func(clk *clock, observe func(usage.Event))
		want   int
	}{
		{"three addresses are one holder's", func(_ *clock, o func(usage.Event)) {
			for i := range 30 {
				o(call("t", fmt.Sprintf("203.0.113.%d", i%3)))
			}
		}, 0},
		{"a fourth address", func(_ *clock, o func(usage.Event)) {
			for i := range 4 {
				o(call("t", fmt.Sprintf("203.0.113.%d", i)))
			}
		}, 1},
		{"one IPv6 /64 is one address", func(_ *clock, o func(usage.Event)) {
			for i := range 40 {
				o(call("t", fmt.Sprintf("2001:db8:1:2::%x", i)))
			}
		}, 0},
		{"a fourth user agent from one address", func(_ *clock, o func(usage.Event)) {
			for i := range 4 {
				e := call("t", "203.0.113.1")
				e.UserAgent = fmt.Sprintf("agent/%d", i)
				o(e)
			}
		}, 1},
		{"addresses spread beyond the window", func(clk *clock, o func(usage.Event)) {
			for i := range 12 {
				o(call("t", fmt.Sprintf("203.0.113.%d", i)))
				clk.Add(4 * time.Minute)
			}
		}, 0},
		{"once per window, again in the next", func(clk *clock, o func(usage.Event)) {
			for i := range 20 {
				o(call("t", fmt.Sprintf("203.0.113.%d", i)))
			}
			clk.Add(10 * time.Minute)
			for i := range 20 {
				o(call("t", fmt.Sprintf("198.51.100.%d", i)))
			}
		}, 2},
		{"different tokens from one address each", func(_ *clock, o func(usage.Event)) {
			for i := range 100 {
				o(call(fmt.Sprint("t", i), fmt.Sprintf("203.0.113.%d", i)))
			}
		}, 0},
		{"refused as invalid, not counted", func(_ *clock, o func(usage.Event)) {
			for i := range 10 {
				e := call("t", fmt.Sprintf("203.0.113.%d", i))
				e.Outcome = "invalid_token"
				o(e)
			}
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, clk := &audittest.Log{}, newClock()
			d := newDetector(t, usage.Anomalies{}, usage.Options{Auditor: events, Now: clk.Now})
			tt.events(clk, d.Observe)
			if got := events.OfType(audit.Anomaly); len(got) != tt.want {
				t.Fatalf("%d anomaly events, want %d: %+v", len(got), tt.want, got)
			}
		})
	}
}
