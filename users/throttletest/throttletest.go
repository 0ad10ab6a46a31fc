// Package throttletest is the conformance suite of the sign-in throttles:
// users.Throttle in memory and redisstate.Throttle in Redis (and its memory
// fallback) must give the same answers to the same steps.
package throttletest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Throttle is the behaviour under test, the method set the sign-in pages
// use.
type Throttle interface {
	Try(keys ...string) time.Duration
	Refund(keys ...string)
	Succeed(keys ...string)
}

// Rules are a throttle's settings, as users.Throttle's fields name them.
type Rules struct {
	FreeAttempts     int
	Window, MaxDelay time.Duration
	// Now is the clock every instance must use.
	Now func() time.Time
}

// Open returns a function that opens an instance of a throttle with the
// given rules; every instance it opens within one test shares its counts,
// as instances of one deployment do.
type Open func(t *testing.T, r Rules) func() Throttle

// Run runs the suite on the throttles open makes.
func Run(t *testing.T, open Open) {
	t.Run("steps", func(t *testing.T) { runSteps(t, open) })
	t.Run("try is atomic", func(t *testing.T) { runConcurrent(t, open) })
}

// steps is a scenario on one throttle with 5 free attempts per 15 minutes
// and delays capped at 15 minutes, after the cap is reached on key d. Each step moves the clock, makes tries
// (which must pass) and refunds and successes, then checks one Try.
var steps = []struct {
	name    string
	advance time.Duration
	tries   int
	keys    []string
	refund  []string
	succeed []string
	try     []string
	want    time.Duration
}{
	{name: "free attempts pass", tries: 4, keys: []string{"a", "b"}, try: []string{"a", "b"}},
	{name: "the next attempt waits", try: []string{"a"}, want: time.Second},
	{name: "a refused attempt counts nothing", try: []string{"a"}, want: time.Second},
	{name: "the longest key decides", try: []string{"c", "a"}, want: time.Second},
	{name: "a refund below the free attempts unlocks", refund: []string{"a"}, try: []string{"a"}},
	{name: "the lock ends", advance: time.Second, tries: 1, keys: []string{"a"}, try: []string{"a"}, want: 2 * time.Second},
	{name: "doubles", advance: 2 * time.Second, tries: 1, keys: []string{"a"}, try: []string{"a"}, want: 4 * time.Second},
	{name: "a refund above the free attempts keeps the lock", refund: []string{"a"}, try: []string{"a"}, want: 4 * time.Second},
	{name: "success clears the key", tries: 5, keys: []string{"f"}, succeed: []string{"a"}, try: []string{"a"}},
	{name: "success leaves other keys", try: []string{"f"}, want: time.Second},
	{name: "refunding an unknown key does nothing", refund: []string{"e"}, try: []string{"e"}},
	{name: "old failures expire after the window", advance: 16 * time.Minute, tries: 3, keys: []string{"b"}, try: []string{"b"}},
	{name: "no keys", try: nil},
}

func runSteps(t *testing.T, open Open) {
	now := time.Unix(1700000000, 0)
	var mu sync.Mutex
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	instance := open(t, Rules{FreeAttempts: 5, Window: 15 * time.Minute, MaxDelay: 15 * time.Minute, Now: clock})
	// Two instances, used in turn: counts are shared.
	ths := []Throttle{instance(), instance()}
	// 20 failures, each locked one made once its lock ends, reach the cap.
	for i := range 20 {
		if w := ths[i%2].Try("d"); w != 0 {
			mu.Lock()
			now = now.Add(w)
			mu.Unlock()
			if w := ths[i%2].Try("d"); w != 0 {
				t.Fatalf("failure %d: Try(d) = %v once the lock ended, want a pass", i, w)
			}
		}
	}
	if w := ths[0].Try("d"); w != 15*time.Minute {
		t.Fatalf("after 20 failures Try(d) = %v, want the 15m cap", w)
	}
	for i, st := range steps {
		mu.Lock()
		now = now.Add(st.advance)
		mu.Unlock()
		th := ths[i%2]
		for range st.tries {
			if w := th.Try(st.keys...); w != 0 {
				t.Fatalf("%s: Try(%q) = %v, want a pass", st.name, st.keys, w)
			}
		}
		th.Refund(st.refund...)
		th.Succeed(st.succeed...)
		if got := ths[(i+1)%2].Try(st.try...); got != st.want {
			t.Fatalf("%s: Try(%q) = %v, want %v", st.name, st.try, got, st.want)
		}
	}
}

// runConcurrent makes 300 attempts at once, spread over two instances,
// against a limit of 50: exactly 50 pass. Refunding one lets exactly one
// more through.
func runConcurrent(t *testing.T, open Open) {
	now := time.Unix(1700000000, 0)
	instance := open(t, Rules{FreeAttempts: 50, Window: 15 * time.Minute, MaxDelay: 15 * time.Minute, Now: func() time.Time { return now }})
	ths := []Throttle{instance(), instance()}
	var passed atomic.Int32
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Go(func() {
			if ths[i%2].Try("ip:198.51.100.7") == 0 {
				passed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := passed.Load(); n != 50 {
		t.Fatalf("%d of 300 concurrent attempts passed, want 50", n)
	}
	ths[0].Refund("ip:198.51.100.7")
	if w := ths[1].Try("ip:198.51.100.7"); w != 0 {
		t.Fatalf("after a refund Try = %v, want a pass", w)
	}
	if w := ths[0].Try("ip:198.51.100.7"); w != time.Second {
		t.Fatalf("after the refunded attempt Try = %v, want 1s", w)
	}
}
