package usage_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/portcullis/portcullis/usage"
	"github.com/portcullis/portcullis/usage/usagetest"
)

// down is a shared limiter whose Redis does not answer.
type down struct{}

func (down) AllowN(context.Context, string, usage.Limit, int) (usage.Result, error) {
	return usage.Result{}, errors.New("redis: connection refused")
}

// TestGateOutage: when the shared limiter cannot decide, a FailOpen rule
// lets every request pass and a FallBack rule keeps its limit in memory.
func TestGateOutage(t *testing.T) {
	limit := usage.Limit{Rate: 2, Period: time.Minute, Burst: 2}
	tests := []struct {
		name    string
		outage  usage.Outage
		allowed int
	}{
		{"authenticated callers: fail open", usage.FailOpen, 10},
		{"client addresses: this instance's memory decides", usage.FallBack, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			ev := &usagetest.Recorder{}
			g := usage.NewGate(down{}, ev, c.Now)
			rule := usage.LimitRule{Name: usage.LimitToken, Limit: limit, Outage: tt.outage}
			allowed := 0
			for range 10 {
				if g.Allow(context.Background(), rule, "client", usage.Event{ClientID: "client"}).Allowed {
					allowed++
				}
			}
			if allowed != tt.allowed || len(ev.Events()) != 10-tt.allowed {
				t.Fatalf("allowed %d, want %d; %d events", allowed, tt.allowed, len(ev.Events()))
			}
			// Failure rules: Check passes while Redis is down for
			// FailOpen, and counts in memory for FallBack.
			fr := usage.LimitRule{Name: usage.LimitIntrospectFailures, Limit: limit, Outage: tt.outage}
			for range 5 {
				g.Fail(context.Background(), fr, "addr")
			}
			if got := g.Check(context.Background(), fr, "addr", usage.Event{}).Allowed; got != (tt.outage == usage.FailOpen) {
				t.Fatalf("Check after 5 failures during the outage: allowed %v", got)
			}
		})
	}
}

// TestGateRefusal: a refusal is reported once, as a RateLimited event
// with who's fields, the rule's name and the time, and its headers follow
// draft-ietf-httpapi-ratelimit-headers-11.
func TestGateRefusal(t *testing.T) {
	c := newClock()
	ev := &usagetest.Recorder{}
	g := usage.NewGate(nil, ev, c.Now)
	rule := usage.LimitRule{Name: usage.LimitToken, Limit: usage.Limit{Rate: 10, Period: time.Minute, Burst: 1}}
	who := usage.Event{ClientID: "svc", Address: "192.0.2.1"}
	if d := g.Allow(context.Background(), rule, "svc", who); !d.Allowed {
		t.Fatal("first request refused")
	}
	c.Add(1500 * time.Millisecond)
	d := g.Allow(context.Background(), rule, "svc", who)
	if d.Allowed {
		t.Fatal("second request allowed")
	}
	got := ev.Events()
	if len(got) != 1 || got[0] != (usage.Event{Kind: usage.RateLimited, Time: c.Now(), ClientID: "svc", Address: "192.0.2.1", Limit: "token"}) {
		t.Fatalf("events %+v", got)
	}
	h := http.Header{}
	d.SetHeaders(h)
	want := http.Header{
		"Retry-After":      {"5"},
		"Ratelimit-Policy": {`"token";q=10;w=60`},
		"Ratelimit":        {`"token";r=0;t=5`},
	}
	for k, v := range want {
		if h.Get(k) != v[0] {
			t.Errorf("%s: %q, want %q", k, h.Get(k), v[0])
		}
	}
}

// TestGateFailures: a failure rule refuses once the failures used up its
// burst, says when the next one fits, and successes cost nothing.
func TestGateFailures(t *testing.T) {
	c := newClock()
	ev := &usagetest.Recorder{}
	g := usage.NewGate(nil, ev, c.Now)
	rule := usage.LimitRule{Name: usage.LimitRevokeFailures, Limit: usage.Limit{Rate: 6, Period: time.Minute, Burst: 3}}
	ctx := context.Background()
	for i := range 100 {
		if !g.Check(ctx, rule, "a", usage.Event{}).Allowed {
			t.Fatalf("check %d refused without a failure", i)
		}
	}
	for range 3 {
		g.Fail(ctx, rule, "a")
	}
	d := g.Check(ctx, rule, "a", usage.Event{Address: "a"})
	if d.Allowed || d.RetryAfter != 10*time.Second {
		t.Fatalf("after 3 failures: %+v, want refused for 10s", d.Result)
	}
	if !g.Check(ctx, rule, "b", usage.Event{}).Allowed {
		t.Fatal("another address refused")
	}
	c.Add(10 * time.Second)
	if !g.Check(ctx, rule, "a", usage.Event{}).Allowed {
		t.Fatal("refused once a failure's interval passed")
	}
	if n := len(ev.Events()); n != 1 {
		t.Fatalf("%d events, want 1", n)
	}
}

// TestLimitProblems: every bad value is named by its field; the zero
// Limit and the example of the documentation are valid.
func TestLimitProblems(t *testing.T) {
	tests := []struct {
		name   string
		limit  usage.Limit
		fields []string
	}{
		{"zero: no limit", usage.Limit{}, nil},
		{"the documented example", usage.Limit{Rate: 10, Period: time.Minute, Burst: 10}, nil},
		{"burst defaults", usage.Limit{Rate: 10, Period: time.Hour}, nil},
		{"negative rate", usage.Limit{Rate: -1}, []string{"rate"}},
		{"rate too high", usage.Limit{Rate: usage.MaxRate + 1, Period: time.Second}, []string{"rate"}},
		{"no period", usage.Limit{Rate: 10}, []string{"period"}},
		{"sub-second period", usage.Limit{Rate: 10, Period: 1500 * time.Millisecond}, []string{"period"}},
		{"period over a day", usage.Limit{Rate: 10, Period: 25 * time.Hour}, []string{"period"}},
		{"negative burst", usage.Limit{Rate: 10, Period: time.Minute, Burst: -1}, []string{"burst"}},
		{"period without a rate", usage.Limit{Period: time.Minute}, []string{"period"}},
		{"burst without a rate", usage.Limit{Burst: 3}, []string{"burst"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fields []string
			for _, p := range tt.limit.Problems() {
				fields = append(fields, p.Field)
			}
			if len(fields) != len(tt.fields) || (len(fields) > 0 && fields[0] != tt.fields[0]) {
				t.Fatalf("problems %+v, want fields %v", tt.limit.Problems(), tt.fields)
			}
		})
	}
}
