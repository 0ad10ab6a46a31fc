package usage_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/usage"
)

// counted is a shared limiter, this process's memory standing in for
// Redis, that counts the questions it is asked.
type counted struct {
	m     *usage.Memory
	calls atomic.Int64
}

func (c *counted) AllowN(ctx context.Context, key string, l usage.Limit, n int) (usage.Result, error) {
	c.calls.Add(1)
	return c.m.AllowN(ctx, key, l, n)
}

// TestCheckRemembersClearKeys: a key with failures to spare is answered
// from memory for a second without asking the shared limiter; a failure
// here, a key near its limit, and the second's end each make Check ask
// again, and failures counted elsewhere refuse the key once it asks.
func TestCheckRemembersClearKeys(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	shared := &counted{m: usage.NewMemory(0, c.Now)}
	g := usage.NewGate(shared, nil, c.Now)
	rule := usage.LimitRule{Name: usage.LimitIntrospectFailures, Limit: usage.Limit{Rate: 5, Period: time.Hour, Burst: 5}}
	ask := func(want bool, wantCalls int64, step string) {
		t.Helper()
		if got := g.Check(ctx, rule, "addr", usage.Event{}).Allowed; got != want {
			t.Fatalf("%s: allowed = %v, want %v", step, got, want)
		}
		if n := shared.calls.Load(); n != wantCalls {
			t.Fatalf("%s: the shared limiter was asked %d times, want %d", step, n, wantCalls)
		}
	}
	ask(true, 1, "first request")
	ask(true, 1, "second request, within the second")
	c.Add(time.Second)
	ask(true, 2, "after the second")
	g.Fail(ctx, rule, "addr") // asks: 3
	ask(true, 4, "after a failure here")
	// Failures counted at another instance.
	other := usage.NewGate(shared, nil, c.Now)
	for range 3 {
		other.Fail(ctx, rule, "addr")
	}
	ask(true, 7, "remembered: failures elsewhere are not seen yet")
	c.Add(time.Second)
	ask(true, 8, "one failure to spare: asked, not remembered")
	ask(true, 9, "asked again")
	g.Fail(ctx, rule, "addr")
	ask(false, 11, "no failure left")
	ask(false, 12, "a refused key is never remembered")
}
