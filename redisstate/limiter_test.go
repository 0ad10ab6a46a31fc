package redisstate

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/usage"
)

// limiterPrefix returns a fresh key prefix and deletes the rate limit
// keys under it when the test ends (redis_rate puts "rate:" before them).
func limiterPrefix(t *testing.T) string {
	prefix := newPrefix(t)
	t.Cleanup(func() {
		rdb := redis.NewClient(redisOptions(t))
		defer rdb.Close()
		if keys, err := rdb.Keys(context.Background(), "rate:"+prefix+"*").Result(); err == nil && len(keys) > 0 {
			rdb.Del(context.Background(), keys...)
		}
	})
	return prefix
}

// TestLimiterAgreesWithMemory: the same requests get the same answers
// from Redis and from usage.Memory, which implement one GCRA. Nothing
// waits, so the clocks' progress between steps is a few milliseconds.
func TestLimiterAgreesWithMemory(t *testing.T) {
	l := openClient(t, limiterPrefix(t), discard).Limiter()
	m := usage.NewMemory(0, nil)
	limit := usage.Limit{Rate: 6, Period: time.Hour, Burst: 3}
	ctx := context.Background()
	for i, n := range []int{0, 1, 1, 0, 2, 1, 0, 1} {
		want, _ := m.AllowN(ctx, "k", limit, n)
		got, err := l.AllowN(ctx, "k", limit, n)
		if err != nil {
			t.Fatal(err)
		}
		if got.Allowed != want.Allowed || got.Remaining != want.Remaining ||
			(got.RetryAfter-want.RetryAfter).Abs() > time.Second || (got.ResetAfter-want.ResetAfter).Abs() > time.Second {
			t.Fatalf("step %d (n=%d): Redis %+v, memory %+v", i, n, got, want)
		}
	}
}

// TestLimiterShared: two instances, each with a Client of its own, count
// against one limit: 200 concurrent requests spread over both get exactly
// the burst.
func TestLimiterShared(t *testing.T) {
	prefix := limiterPrefix(t)
	var instances [2]*Limiter
	for i := range instances {
		c := openClient(t, prefix, discard)
		// 200 requests at once wait for pooled connections on a loaded
		// machine; an error here would be a fallback, not a decision.
		c.timeout = 10 * time.Second
		instances[i] = c.Limiter()
	}
	limit := usage.Limit{Rate: 25, Period: time.Hour, Burst: 25}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			res, err := instances[i%2].AllowN(context.Background(), "token:client", limit, 1)
			if err != nil {
				t.Error(err)
			}
			if res.Allowed {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 25 {
		t.Fatalf("%d of 200 requests on two instances allowed, want the burst of 25", n)
	}
}

// TestLimiterKeys: Redis holds a digest of the key, under the prefix, and
// it expires once the allowance is whole again.
func TestLimiterKeys(t *testing.T) {
	prefix := limiterPrefix(t)
	c := openClient(t, prefix, discard)
	if _, err := c.Limiter().AllowN(context.Background(), "token:198.51.100.7", usage.Limit{Rate: 1, Period: 10 * time.Second}, 1); err != nil {
		t.Fatal(err)
	}
	keys, err := c.rdb.Keys(context.Background(), "*"+prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || !strings.HasPrefix(keys[0], "rate:"+prefix+"limit:") || strings.Contains(keys[0], "198.51") {
		t.Fatalf("keys %v", keys)
	}
	if ttl := c.rdb.TTL(context.Background(), keys[0]).Val(); ttl <= 0 || ttl > 10*time.Second {
		t.Fatalf("TTL %v, want at most the 10 s the allowance takes to come back", ttl)
	}
}

// TestLimiterOutage: with Redis unreachable the limiter reports an error
// at once, without waiting for Redis on every call, and the Gate applies
// each rule's Outage; the outage is logged once.
func TestLimiterOutage(t *testing.T) {
	var logs logBuffer
	c := unreachableClient(t, logs.logger())
	g := usage.NewGate(c.Limiter(), nil, nil)
	limit := usage.Limit{Rate: 3, Period: time.Hour}
	open := usage.LimitRule{Name: usage.LimitToken, Limit: limit, Outage: usage.FailOpen}
	closed := usage.LimitRule{Name: usage.LimitAuthorize, Limit: limit, Outage: usage.FallBack}
	var openAllowed, closedAllowed int
	for range 10 {
		if g.Allow(context.Background(), open, "client", usage.Event{}).Allowed {
			openAllowed++
		}
		if g.Allow(context.Background(), closed, "198.51.100.7", usage.Event{}).Allowed {
			closedAllowed++
		}
	}
	if openAllowed != 10 || closedAllowed != 3 {
		t.Fatalf("during the outage: %d of 10 authenticated requests passed (want all), %d of 10 by address (want the limit, 3)", openAllowed, closedAllowed)
	}
	if n := logs.count("Redis unreachable"); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, logs.String())
	}
}

// TestLimiterBackAfterOutage: Redis cut off and given back; the limiter
// decides in Redis again, where the allowance taken before the outage
// still counts.
func TestLimiterBackAfterOutage(t *testing.T) {
	p := newProxy(t, redisOptions(t).Addr)
	c := p.client(t, limiterPrefix(t), discard)
	l := c.Limiter()
	limit := usage.Limit{Rate: 2, Period: time.Hour}
	ctx := context.Background()
	if res, err := l.AllowN(ctx, "k", limit, 1); err != nil || !res.Allowed {
		t.Fatalf("before the outage: %+v %v", res, err)
	}
	p.setDown(true)
	if _, err := l.AllowN(ctx, "k", limit, 1); err == nil {
		t.Fatal("no error with Redis cut off")
	}
	p.setDown(false)
	c.health.retryAt.Store(0) // as if the probe interval had passed
	res, err := l.AllowN(ctx, "k", limit, 1)
	if err != nil || !res.Allowed || res.Remaining != 0 {
		t.Fatalf("after the outage: %+v %v, want the second of two allowed", res, err)
	}
	if res, _ := l.AllowN(ctx, "k", limit, 1); res.Allowed {
		t.Fatal("third request allowed")
	}
}
