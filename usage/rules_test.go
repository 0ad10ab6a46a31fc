package usage_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/audittest"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// TestClientRateBaseline drives client_rate with the clock: a steady
// client, one that bursts to 20 times its baseline, a quiet one whose
// burst stays under min_count, a new one judged only after a baseline of
// history, and calls counted apart from issuance.
func TestClientRateBaseline(t *testing.T) {
	issued := func(client string) usage.Event {
		return usage.Event{Kind: usage.TokenIssued, ClientID: client, GrantType: "client_credentials"}
	}
	called := func(client string) usage.Event {
		e := call("jti-"+client, "203.0.113.1")
		e.ClientID = client
		return e
	}
	// history sends perMinute events a minute for minutes minutes.
	history := func(clk *clock, o func(usage.Event), ev func(string) usage.Event, client string, perMinute, minutes int) {
		for range minutes {
			for range perMinute {
				o(ev(client))
			}
			clk.Add(time.Minute)
		}
	}
	tests := []struct {
		name   string
		drive  func(clk *clock, o func(usage.Event))
		series string // of the detection, if one is wanted
		count  int    // its count: min_count, or more above a large baseline
	}{
		{"steady", func(clk *clock, o func(usage.Event)) {
			history(clk, o, issued, "c", 30, 120)
		}, "", 0},
		{"twenty times the baseline", func(clk *clock, o func(usage.Event)) {
			history(clk, o, issued, "c", 10, 120)
			history(clk, o, issued, "c", 200, 1)
		}, "issued", 101},
		{"nine times the baseline", func(clk *clock, o func(usage.Event)) {
			history(clk, o, issued, "c", 20, 120)
			history(clk, o, issued, "c", 180, 1)
		}, "", 0},
		{"quiet client under min_count", func(clk *clock, o func(usage.Event)) {
			history(clk, o, issued, "c", 1, 120)
			history(clk, o, issued, "c", 99, 1)
		}, "", 0},
		{"silent for an hour, then a flood", func(clk *clock, o func(usage.Event)) {
			history(clk, o, issued, "c", 5, 5)
			clk.Add(2 * time.Hour)
			history(clk, o, issued, "c", 500, 1)
		}, "issued", 100},
		{"a token for three APIs is one issuance", func(clk *clock, o func(usage.Event)) {
			// As the server reports them: one event per API.
			token := func(client string) {
				for i := range 3 {
					e := issued(client)
					e.SameToken = i > 0
					o(e)
				}
			}
			for range 120 {
				token("c")
				clk.Add(time.Minute)
			}
			for range 50 {
				token("c") // 50 tokens: under min_count
			}
		}, "", 0},
		{"a new client is not judged before a baseline", func(clk *clock, o func(usage.Event)) {
			history(clk, o, issued, "c", 1000, 30)
		}, "", 0},
		{"calls have a baseline of their own", func(clk *clock, o func(usage.Event)) {
			for range 120 {
				for range 10 {
					o(issued("c"))
				}
				for range 5 {
					o(called("c"))
				}
				clk.Add(time.Minute)
			}
			history(clk, o, called, "c", 150, 1)
		}, "calls", 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, clk := &audittest.Log{}, newClock()
			d := newDetector(t, usage.Anomalies{}, usage.Options{Auditor: events, Now: clk.Now})
			tt.drive(clk, d.Observe)
			got := events.OfType(audit.Anomaly)
			if tt.series == "" {
				if len(got) != 0 {
					t.Fatalf("anomalies %+v, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0].Detail["rule"] != usage.RuleClientRate || got[0].ClientID != "c" {
				t.Fatalf("anomalies %+v, want one client_rate for c", got)
			}
			if ev := got[0].Detail["evidence"].(map[string]any); ev["series"] != tt.series || ev["count"] != tt.count {
				t.Errorf("evidence %v: want series %s, raised at the %dth", ev, tt.series, tt.count)
			}
		})
	}
}

// TestDeadTokenCallsNotRated: calls refused because their token was
// revoked or expired, which guards report with the token's client, do not
// count in the client's call rate, so that whoever holds a dead token
// cannot drive its client to a client_rate response.
func TestDeadTokenCallsNotRated(t *testing.T) {
	events, clk := &audittest.Log{}, newClock()
	a := usage.Anomalies{}
	a.Rules.RevokedTokenUse.Disabled = true
	d := newDetector(t, a, usage.Options{Auditor: events, Now: clk.Now})
	for range 120 {
		for range 5 {
			d.Observe(call("jti-good", "203.0.113.1"))
		}
		clk.Add(time.Minute)
	}
	for i := range 1000 {
		e := call("jti-dead", "203.0.113.2")
		e.Outcome = []string{"revoked", "expired"}[i%2]
		d.Observe(e)
	}
	if got := events.OfType(audit.Anomaly); len(got) != 0 {
		t.Fatalf("anomalies %+v, want none", got)
	}
}

// TestRevokedTokenPresented: a revoked token's second presentation
// raises revoked_token_use, once; an expired one's tenth.
func TestRevokedTokenPresented(t *testing.T) {
	tests := []struct {
		name    string
		outcome string
		n, want int
	}{
		{"revoked once", "revoked", 1, 0},
		{"revoked twice", "revoked", 2, 1},
		{"revoked 50 times, raised once", "revoked", 50, 1},
		{"expired 9 times", "expired", 9, 0},
		{"expired 10 times", "expired", 10, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, clk := &audittest.Log{}, newClock()
			d := newDetector(t, usage.Anomalies{}, usage.Options{Auditor: events, Now: clk.Now})
			for range tt.n {
				e := call("jti-r", "203.0.113.9")
				e.Outcome = tt.outcome
				d.Observe(e)
				clk.Add(time.Second)
			}
			got := events.OfType(audit.Anomaly)
			if len(got) != tt.want {
				t.Fatalf("%d anomalies, want %d", len(got), tt.want)
			}
			if tt.want == 1 && (got[0].Detail["rule"] != usage.RuleRevokedTokenUse || got[0].Detail["jti"] != "jti-r") {
				t.Errorf("anomaly %+v", got[0])
			}
		})
	}
}

// TestRefreshReuse: each refresh_reuse the server audits is a detection,
// once per client and user per window.
func TestRefreshReuse(t *testing.T) {
	events, clk := &audittest.Log{}, newClock()
	d := newDetector(t, usage.Anomalies{}, usage.Options{Auditor: events, Now: clk.Now})
	a := d.Auditing(events)
	reuse := func(client, sub string) {
		a.Record(context.Background(), slog.LevelWarn, store.AuditEvent{Type: audit.RefreshReuse, ClientID: client, Subject: sub, Remote: "203.0.113.5"})
	}
	reuse("web", "alice")
	reuse("web", "alice")
	reuse("web", "bob")
	clk.Add(10 * time.Minute)
	reuse("web", "alice")
	got := events.OfType(audit.Anomaly)
	if len(got) != 3 || got[0].Subject != "alice" || got[1].Subject != "bob" || got[2].Subject != "alice" {
		t.Fatalf("anomalies %+v: want alice, bob, then alice in the next window", got)
	}
	if n := len(events.OfType(audit.RefreshReuse)); n != 4 {
		t.Errorf("the wrapper passed on %d refresh_reuse events, want all 4", n)
	}
}

// TestDetectorConfig: bad values name their key, and a response needs
// its means.
func TestDetectorConfig(t *testing.T) {
	tests := []struct {
		name string
		set  func(a *usage.Anomalies)
		want string
	}{
		{"addresses over the bound", func(a *usage.Anomalies) { a.Rules.TokenTheft.Addresses = 33 }, "anomalies.rules.token_theft.addresses: must be between 1 and 32"},
		{"negative window", func(a *usage.Anomalies) { a.Rules.InvalidClient.Window = -time.Second }, "anomalies.rules.invalid_client.window"},
		{"response an outsider could trigger", func(a *usage.Anomalies) { a.Rules.InvalidClient.Response = usage.RespondSuspendClient },
			"anomalies.rules.invalid_client.response: \"suspend_client\": this rule takes no response"},
		{"suspending for a user's refresh token", func(a *usage.Anomalies) { a.Rules.RefreshReuse.Response = usage.RespondSuspendClient },
			"anomalies.rules.refresh_reuse.response: \"suspend_client\": this rule takes no response"},
		{"response the rule does not take", func(a *usage.Anomalies) { a.Rules.ClientRate.Response = usage.RespondRevokeToken },
			"anomalies.rules.client_rate.response: \"revoke_token\" is not one of [suspend_client]"},
		{"suspend_for without suspend_client", func(a *usage.Anomalies) { a.Rules.RefreshReuse.SuspendFor = time.Hour },
			"anomalies.rules.refresh_reuse.suspend_for: is only used with response: suspend_client"},
		{"factor of one", func(a *usage.Anomalies) { a.Rules.ClientRate.Factor = 1 }, "anomalies.rules.client_rate.factor: must be more than 1"},
		{"baseline too short", func(a *usage.Anomalies) { a.Rules.ClientRate.Baseline = 5 * time.Minute }, "anomalies.rules.client_rate.baseline: must be at least 10 windows (10m0s)"},
		{"max_keys too small", func(a *usage.Anomalies) { a.MaxKeys = 10 }, "anomalies.max_keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a usage.Anomalies
			tt.set(&a)
			err := a.Validate()
			var ce *usage.ConfigError
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, &ce) {
				t.Fatalf("Validate() = %v, want a ConfigError containing %q", err, tt.want)
			}
		})
	}
	if err := (usage.Anomalies{}).Validate(); err != nil {
		t.Errorf("the zero value: %v", err)
	}
	var a usage.Anomalies
	a.Rules.TokenTheft.Response = usage.RespondRevokeToken
	if _, err := usage.NewDetector(a, usage.Options{Auditor: &audittest.Log{}}); err == nil {
		t.Error("NewDetector took revoke_token without a Revoker")
	}
}
