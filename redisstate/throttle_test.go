package redisstate

import (
	"testing"
	"time"

	"github.com/portcullis/portcullis/users/throttletest"
)

// TestThrottle runs the throttle conformance suite on Redis, with each
// instance a Client of its own on one prefix, and, with Redis unreachable,
// on the in-memory fallback.
func TestThrottle(t *testing.T) {
	tests := []struct {
		name string
		// client opens the Client of one instance; prefix is the test's.
		client func(t *testing.T, prefix string) *Client
		// memoryOnly: instances share nothing, so one stands for all.
		memoryOnly bool
	}{
		{"redis", func(t *testing.T, prefix string) *Client {
			c := openClient(t, prefix, discard)
			// 300 attempts at once wait for pooled connections on a
			// loaded machine; a fallback to memory would count them apart.
			c.timeout = 10 * time.Second
			return c
		}, false},
		{"unreachable", func(t *testing.T, prefix string) *Client { return unreachableClient(t, discard) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			throttletest.Run(t, func(t *testing.T, r throttletest.Rules) func() throttletest.Throttle {
				prefix := newPrefix(t)
				var first *Throttle
				return func() throttletest.Throttle {
					if first != nil && tt.memoryOnly {
						return first
					}
					th := tt.client(t, prefix).Throttle(r.FreeAttempts, r.Window, r.MaxDelay)
					th.now, th.local.Now = r.Now, r.Now
					if first == nil {
						first = th
					}
					return th
				}
			})
		})
	}
}

// TestThrottleOutageLogged: an unreachable Redis is logged once, however
// many attempts fall back to memory.
func TestThrottleOutageLogged(t *testing.T) {
	var logs logBuffer
	th := unreachableClient(t, logs.logger()).Throttle(5, 15*time.Minute, 15*time.Minute)
	for range 10 {
		th.Try("ip:198.51.100.7")
	}
	th.Refund("ip:198.51.100.7")
	if n := logs.count("Redis unreachable"); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, logs.String())
	}
}

// TestThrottleLockOutlivesOutage locks a key in memory while Redis is away:
// Try still refuses while the lock lasts when Redis is back.
func TestThrottleLockOutlivesOutage(t *testing.T) {
	p := newProxy(t, redisOptions(t).Addr)
	c := p.client(t, newPrefix(t), discard)
	th := c.Throttle(1, 15*time.Minute, 15*time.Minute)
	p.setDown(true)
	if w := th.Try("user:a"); w != 0 {
		t.Fatalf("first attempt during the outage waits %v", w)
	}
	p.setDown(false)
	c.health.retryAt.Store(0) // as if the probe interval had passed
	if w := th.Try("user:a"); w <= 0 {
		t.Fatalf("Try passed %v after a failure counted during the outage", w)
	}
	th.Refund("user:b")
	if c.health.down.Load() {
		t.Fatal("Redis was not used after the outage")
	}
}

// TestThrottleScopes checks that throttles with different rules keep
// separate counts for the same key.
func TestThrottleScopes(t *testing.T) {
	c := openClient(t, newPrefix(t), discard)
	accounts, addresses := c.Throttle(5, 15*time.Minute, 15*time.Minute), c.Throttle(50, 15*time.Minute, 15*time.Minute)
	for range 6 {
		accounts.Try("k")
	}
	if w := addresses.Try("k"); w != 0 {
		t.Fatalf("the address throttle waits %v for failures counted by the account throttle", w)
	}
}
