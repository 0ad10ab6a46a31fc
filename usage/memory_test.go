package usage_test

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/usage"
)

// step is one request at an offset from the start, and what it must get.
type step struct {
	at        time.Duration
	n         int
	allowed   bool
	remaining int
	retry     time.Duration // for a refusal
}

// TestMemoryGCRA drives the limiter through windows with a moved clock.
func TestMemoryGCRA(t *testing.T) {
	tests := []struct {
		name  string
		limit usage.Limit
		steps []step
	}{
		{"burst then one per interval", usage.Limit{Rate: 10, Period: time.Minute, Burst: 3}, []step{
			{0, 1, true, 2, 0}, {0, 1, true, 1, 0}, {0, 1, true, 0, 0},
			{0, 1, false, 0, 6 * time.Second},
			{time.Second, 1, false, 0, 5 * time.Second},
			{6 * time.Second, 1, true, 0, 0},
			{6 * time.Second, 1, false, 0, 6 * time.Second},
			{30 * time.Second, 1, true, 2, 0},
		}},
		{"burst defaults to the rate", usage.Limit{Rate: 2, Period: time.Hour}, []step{
			{0, 1, true, 1, 0}, {0, 1, true, 0, 0}, {time.Minute, 1, false, 0, 29 * time.Minute},
		}},
		{"a refusal takes nothing", usage.Limit{Rate: 1, Period: time.Second, Burst: 1}, []step{
			{0, 1, true, 0, 0}, {500 * time.Millisecond, 1, false, 0, 500 * time.Millisecond},
			{time.Second, 1, true, 0, 0},
		}},
		{"n takes all or none; 0 only reads", usage.Limit{Rate: 5, Period: 5 * time.Second, Burst: 5}, []step{
			{0, 0, true, 5, 0}, {0, 3, true, 2, 0}, {0, 3, false, 0, time.Second},
			{0, 0, true, 2, 0}, {0, 2, true, 0, 0}, {0, 0, true, 0, 0},
		}},
		{"a quiet key has its whole burst back", usage.Limit{Rate: 3, Period: time.Minute, Burst: 3}, []step{
			{0, 3, true, 0, 0}, {time.Hour, 1, true, 2, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			start := c.Now()
			m := usage.NewMemory(0, c.Now)
			for i, s := range tt.steps {
				c.Set(start.Add(s.at))
				res, err := m.AllowN(context.Background(), "k", tt.limit, s.n)
				if err != nil {
					t.Fatal(err)
				}
				if res.Allowed != s.allowed || res.Remaining != s.remaining || res.RetryAfter != s.retry {
					t.Fatalf("step %d at %s: %+v, want allowed %v remaining %d retry %s", i, s.at, res, s.allowed, s.remaining, s.retry)
				}
			}
		})
	}
}

// TestMemoryKeysApart: each key has its own allowance, and a limit that
// is not enabled allows everything.
func TestMemoryKeysApart(t *testing.T) {
	c := newClock()
	m := usage.NewMemory(0, c.Now)
	l := usage.Limit{Rate: 1, Period: time.Minute}
	for _, k := range []string{"a", "b"} {
		if res, _ := m.AllowN(context.Background(), k, l, 1); !res.Allowed {
			t.Fatalf("first request of %s refused", k)
		}
	}
	if res, _ := m.AllowN(context.Background(), "a", l, 1); res.Allowed {
		t.Fatal("second request of a allowed")
	}
	for range 100 {
		if res, _ := m.AllowN(context.Background(), "a", usage.Limit{}, 1); !res.Allowed {
			t.Fatal("the zero Limit refused")
		}
	}
}

// TestMemoryBound: an attacker sending 10^5 and more distinct keys (one
// address each) leaves the limiter within its stated bound: at most
// maxKeys keys, at most about 40 bytes each; keys whose allowance is
// whole again go first, and busy keys keep theirs while there is room.
func TestMemoryBound(t *testing.T) {
	const maxKeys = usage.DefaultMaxKeys
	c := newClock()
	m := usage.NewMemory(maxKeys, c.Now)
	l := usage.Limit{Rate: 1, Period: time.Hour, Burst: 1}
	ctx := context.Background()
	busy := "198.51.100.7"
	m.AllowN(ctx, busy, l, 1)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range 300_000 {
		m.AllowN(ctx, "flood:"+strconv.Itoa(i), l, 1)
		if i%1000 == 0 {
			c.Add(time.Millisecond)
		}
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if n := m.Len(); n > maxKeys {
		t.Fatalf("%d keys held, bound %d", n, maxKeys)
	}
	// The stated bound is about 40 bytes a key; the map's growth steps
	// make it up to twice that.
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 80*maxKeys {
		t.Fatalf("heap grew %d bytes for at most %d keys", grew, maxKeys)
	}

	// Once the flood's hour has passed, its keys are whole again and go
	// first: a new flood leaves a busy key alone.
	c.Add(time.Hour)
	m.AllowN(ctx, busy, l, 0)
	c.Add(time.Minute)
	if res, _ := m.AllowN(ctx, busy, l, 1); !res.Allowed {
		t.Fatal("busy key refused after its hour")
	}
	for i := range 50_000 {
		m.AllowN(ctx, "second:"+strconv.Itoa(i), l, 1)
	}
	if res, _ := m.AllowN(ctx, busy, l, 1); res.Allowed {
		t.Fatal("a flood of new keys made a busy key forget its requests though idle keys could go")
	}
	if n := m.Len(); n > maxKeys {
		t.Fatalf("%d keys held, bound %d", n, maxKeys)
	}
}

// TestMemoryRace: 50 goroutines on one key get exactly the burst.
func TestMemoryRace(t *testing.T) {
	c := newClock()
	m := usage.NewMemory(0, c.Now)
	l := usage.Limit{Rate: 20, Period: time.Hour, Burst: 20}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for range 4 {
				if res, _ := m.AllowN(context.Background(), "k", l, 1); res.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 20 {
		t.Fatalf("%d of 200 concurrent requests allowed, want the burst of 20", n)
	}
}
