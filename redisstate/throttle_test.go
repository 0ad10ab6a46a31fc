package redisstate

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// throttleSteps is the table of users.TestThrottle, with Try added: each
// step moves the clock, records failures and successes, then checks one
// Wait or Try.
var throttleSteps = []struct {
	name    string
	advance time.Duration
	fails   int // times fail is recorded; 0 means once when fail is set
	fail    []string
	succeed []string
	try     bool // check with Try instead of Wait
	wait    []string
	want    time.Duration
}{
	{name: "free attempts", fails: 5, fail: []string{"user:a", "ip:1"}, wait: []string{"user:a", "ip:1"}},
	{name: "first delay", fail: []string{"user:a", "ip:1"}, wait: []string{"user:a"}, want: time.Second},
	{name: "doubles; the longest key decides", fail: []string{"user:a"}, wait: []string{"ip:2", "user:a"}, want: 2 * time.Second},
	{name: "capped", fails: 30, fail: []string{"user:a"}, wait: []string{"user:a"}, want: 15 * time.Minute},
	{name: "success clears the key", succeed: []string{"user:a"}, wait: []string{"user:a"}},
	{name: "success leaves other keys", wait: []string{"ip:1"}, want: time.Second},
	{name: "the lock ends", advance: time.Second, wait: []string{"ip:1"}},
	{name: "failures count for a window", fail: []string{"ip:1"}, wait: []string{"ip:1"}, want: 2 * time.Second},
	{name: "old failures expire after the window", advance: 16 * time.Minute, fail: []string{"ip:1"}, wait: []string{"ip:1"}},
	{name: "no keys", wait: nil},
	{name: "try counts an attempt", try: true, wait: []string{"user:b"}},
	{name: "try after the free attempts", fails: 4, fail: []string{"user:b"}, try: true, wait: []string{"user:b"}},
	{name: "try refuses a locked key and counts nothing", try: true, wait: []string{"user:b"}, want: time.Second},
	{name: "still the first delay", wait: []string{"user:b"}, want: time.Second},
}

// runThrottleSteps runs throttleSteps on th, moving its clock by hand.
func runThrottleSteps(t *testing.T, th *Throttle) {
	now := time.Unix(1700000000, 0)
	clock := func() time.Time { return now }
	th.now, th.local.Now = clock, clock
	for _, st := range throttleSteps {
		now = now.Add(st.advance)
		for range max(st.fails, 1) {
			if st.fail != nil {
				th.Fail(st.fail...)
			}
		}
		th.Succeed(st.succeed...)
		check, name := th.Wait, "Wait"
		if st.try {
			check, name = th.Try, "Try"
		}
		if got := check(st.wait...); got != st.want {
			t.Fatalf("%s: %s(%q) = %v, want %v", st.name, name, st.wait, got, st.want)
		}
	}
}

// TestThrottle runs the table on Redis and, with Redis unreachable, on the
// in-memory fallback.
func TestThrottle(t *testing.T) {
	t.Run("redis", func(t *testing.T) {
		runThrottleSteps(t, openClient(t, newPrefix(t), discard).Throttle(5, 15*time.Minute, 15*time.Minute))
	})
	t.Run("unreachable", func(t *testing.T) {
		var logs logBuffer
		runThrottleSteps(t, unreachableClient(t, logs.logger()).Throttle(5, 15*time.Minute, 15*time.Minute))
		if n := logs.count("Redis unreachable"); n != 1 {
			t.Errorf("outage logged %d times, want once:\n%s", n, logs.String())
		}
	})
}

// TestThrottleSharedByInstances fails at one instance and waits at
// another: guesses spread over instances count together.
func TestThrottleSharedByInstances(t *testing.T) {
	prefix := newPrefix(t)
	a := openClient(t, prefix, discard).Throttle(5, 15*time.Minute, 15*time.Minute)
	b := openClient(t, prefix, discard).Throttle(5, 15*time.Minute, 15*time.Minute)
	for i := range 6 {
		[]*Throttle{a, b}[i%2].Fail("user:a")
	}
	if w := b.Wait("user:a"); w <= 0 || w > time.Second {
		t.Fatalf("after 6 failures at two instances, wait %v, want up to 1s", w)
	}
	a.Succeed("user:a")
	if w := b.Wait("user:a"); w != 0 {
		t.Fatalf("success at one instance did not clear the other: %v", w)
	}
}

// TestThrottleLockOutlivesOutage locks a key in memory while Redis is away:
// Wait still reports the lock when Redis is back.
func TestThrottleLockOutlivesOutage(t *testing.T) {
	p := newProxy(t, redisOptions(t).Addr)
	c := p.client(t, newPrefix(t), discard)
	th := c.Throttle(0, 15*time.Minute, 15*time.Minute)
	p.setDown(true)
	th.Fail("user:a")
	p.setDown(false)
	c.health.retryAt.Store(0) // as if the probe interval had passed
	if w := th.Wait("user:a"); w <= 0 {
		t.Fatalf("wait %v after a failure counted during the outage, want a delay", w)
	}
	if w := th.Try("user:a"); w <= 0 {
		t.Fatalf("Try passed %v after a failure counted during the outage", w)
	}
	if c.health.down.Load() {
		t.Fatal("Redis was not used after the outage")
	}
}

// TestThrottleTryIsAtomic: 40 concurrent attempts on one account at two
// instances pass the check FreeAttempts+1 times, as users.Throttle's do in
// one process; without Redis, the memory fallback keeps that count.
func TestThrottleTryIsAtomic(t *testing.T) {
	tests := []struct {
		name      string
		instances func(t *testing.T) []*Throttle
	}{
		{"redis", func(t *testing.T) []*Throttle {
			prefix := newPrefix(t)
			return []*Throttle{
				openClient(t, prefix, discard).Throttle(5, 15*time.Minute, 15*time.Minute),
				openClient(t, prefix, discard).Throttle(5, 15*time.Minute, 15*time.Minute),
			}
		}},
		{"unreachable", func(t *testing.T) []*Throttle {
			return []*Throttle{unreachableClient(t, discard).Throttle(5, 15*time.Minute, 15*time.Minute)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ths := tt.instances(t)
			var passed atomic.Int32
			var wg sync.WaitGroup
			for i := range 40 {
				wg.Go(func() {
					if ths[i%len(ths)].Try("user:a") == 0 {
						passed.Add(1)
					}
				})
			}
			wg.Wait()
			if n := passed.Load(); n != 6 {
				t.Fatalf("%d of 40 concurrent attempts passed, want 6 (5 free and the one that locks)", n)
			}
			ths[0].Succeed("user:a")
			if w := ths[len(ths)-1].Try("user:a"); w != 0 {
				t.Fatalf("success did not clear the account: %v", w)
			}
		})
	}
}

// TestThrottleScopes checks that throttles with different rules keep
// separate counts for the same key.
func TestThrottleScopes(t *testing.T) {
	c := openClient(t, newPrefix(t), discard)
	accounts, addresses := c.Throttle(5, 15*time.Minute, 15*time.Minute), c.Throttle(50, 15*time.Minute, 15*time.Minute)
	for range 6 {
		accounts.Fail("k")
	}
	if w := addresses.Wait("k"); w != 0 {
		t.Fatalf("the address throttle waits %v for failures counted by the account throttle", w)
	}
}
