package ratelimit

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Unix(1700000000, 0)

func TestTake(t *testing.T) {
	type step struct {
		key, id string
		at      time.Duration // after t0
		ttl     time.Duration
		release string // released before the take
		ok      bool
		wait    time.Duration
	}
	tests := []struct {
		name          string
		perKey, total int
		steps         []step
	}{
		{"per key", 2, 10, []step{
			{key: "a", at: 0, ttl: time.Minute, ok: true},
			{key: "a", at: time.Second, ttl: time.Minute, ok: true},
			{key: "a", at: 2 * time.Second, ttl: time.Minute, wait: 58 * time.Second},
			{key: "b", at: 2 * time.Second, ttl: time.Minute, ok: true},
			{key: "a", at: time.Minute, ttl: time.Minute, ok: true},
		}},
		{"earliest expiry of the key", 2, 10, []step{
			{key: "a", at: 0, ttl: 10 * time.Minute, ok: true},
			{key: "a", at: 0, ttl: time.Minute, ok: true},
			{key: "a", at: 0, ttl: time.Minute, wait: time.Minute},
		}},
		{"total", 5, 2, []step{
			{key: "a", at: 0, ttl: time.Minute, ok: true},
			{key: "b", at: 10 * time.Second, ttl: time.Minute, ok: true},
			{key: "c", at: 20 * time.Second, ttl: time.Minute, wait: 40 * time.Second},
			{key: "c", at: time.Minute, ttl: time.Minute, ok: true},
			{key: "d", at: time.Minute, ttl: time.Minute, wait: 10 * time.Second},
		}},
		{"a shorter slot taken later frees first", 5, 2, []step{
			{key: "a", at: 0, ttl: 10 * time.Minute, ok: true},
			{key: "b", at: 0, ttl: time.Minute, ok: true},
			{key: "c", at: 0, ttl: time.Minute, wait: time.Minute},
			{key: "c", at: time.Minute, ttl: time.Minute, ok: true},
		}},
		{"release frees the key and the total", 1, 1, []step{
			{key: "a", id: "r1", at: 0, ttl: time.Minute, ok: true},
			{key: "a", at: 0, ttl: time.Minute, wait: time.Minute},
			{key: "b", at: 0, ttl: time.Minute, wait: time.Minute},
			{key: "b", at: 0, ttl: time.Minute, release: "r1", ok: true},
		}},
		{"the empty key counts in the total only", 1, 3, []step{
			{key: "", at: 0, ttl: time.Minute, ok: true},
			{key: "", at: 0, ttl: time.Minute, ok: true},
			{key: "a", at: 0, ttl: time.Minute, ok: true},
			{key: "", at: 0, ttl: time.Minute, wait: time.Minute},
		}},
		{"unknown and repeated releases are ignored", 1, 5, []step{
			{key: "a", id: "r1", at: 0, ttl: time.Minute, ok: true},
			{key: "b", id: "r2", at: 0, ttl: time.Minute, release: "r1", ok: true},
			{key: "b", at: 0, ttl: time.Minute, release: "r1", wait: time.Minute},
			{key: "b", at: 0, ttl: time.Minute, release: "nope", wait: time.Minute},
		}},
		{"an expired slot cannot be released twice", 1, 5, []step{
			{key: "a", id: "r1", at: 0, ttl: time.Minute, ok: true},
			{key: "a", id: "r2", at: time.Minute, ttl: time.Minute, ok: true},
			{key: "a", at: time.Minute, ttl: time.Minute, release: "r1", wait: time.Minute},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New(tt.perKey, tt.total)
			for i, s := range tt.steps {
				if s.release != "" {
					l.Release(s.release)
				}
				now := t0.Add(s.at)
				ok, wait := l.Take(s.key, s.id, now, now.Add(s.ttl))
				if ok != s.ok || wait != s.wait {
					t.Fatalf("step %d: Take(%s) = %v, %v; want %v, %v", i, s.key, ok, wait, s.ok, s.wait)
				}
			}
		})
	}
}

// TestConcurrent takes slots from many goroutines: exactly the limits are
// admitted.
func TestConcurrent(t *testing.T) {
	tests := []struct {
		name          string
		perKey, total int
		key           func(g, i int) string
		want          int64
	}{
		{"one key", 30, 1000, func(g, i int) string { return "a" }, 30},
		{"many keys", 1000, 120, func(g, i int) string { return fmt.Sprint(g, "-", i) }, 120},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New(tt.perKey, tt.total)
			var admitted atomic.Int64
			var wg sync.WaitGroup
			for g := range 50 {
				wg.Go(func() {
					for i := range 20 {
						if ok, _ := l.Take(tt.key(g, i), fmt.Sprint(g, "/", i), t0, t0.Add(time.Minute)); ok {
							admitted.Add(1)
						}
					}
				})
			}
			wg.Wait()
			if got := admitted.Load(); got != tt.want {
				t.Fatalf("admitted %d, want %d", got, tt.want)
			}
		})
	}
}

// TestMemoryBounded: however many keys ask, the limiter holds no more
// keys and releasable IDs than its total, including after slots expire.
func TestMemoryBounded(t *testing.T) {
	l := New(3, 100)
	for round := range 3 {
		now := t0.Add(time.Duration(round) * time.Hour)
		for i := range 10000 {
			l.Take(fmt.Sprint("k", i), fmt.Sprint(round, "-", i), now, now.Add(time.Minute))
		}
		if len(l.keys) > 100 || len(l.owners) > 100 || l.live > 100 {
			t.Fatalf("round %d: %d keys, %d owners, %d live; want at most 100", round, len(l.keys), len(l.owners), l.live)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		want string
	}{
		{"zero", 0, "1"},
		{"under a second", time.Millisecond, "1"},
		{"whole", 60 * time.Second, "60"},
		{"rounded up", 60*time.Second + time.Millisecond, "61"},
	}
	for _, tt := range tests {
		if got := RetryAfter(tt.d); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}
