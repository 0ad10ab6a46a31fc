package redisstate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/storetest"
)

// TestStoreConformance runs the store suite on the decorator over SQLite:
// marks in Redis and notices keep every guarantee of the store.
func TestStoreConformance(t *testing.T) {
	redisOptions(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return openClient(t, newPrefix(t), discard).Store(openSQLite(t))
	})
}

// TestUseOnceTwoInstances races 50 calls on one key through two Clients,
// as two instances sharing a database and a Redis would: one wins.
func TestUseOnceTwoInstances(t *testing.T) {
	prefix, db := newPrefix(t), openSQLite(t)
	instances := []store.Store{
		openClient(t, prefix, discard).Store(db),
		openClient(t, prefix, discard).Store(db),
	}
	var wins, replays atomic.Int32
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			switch err := instances[i%2].UseOnce(context.Background(), "jti-1", time.Now().Add(time.Minute)); {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrReplay):
				replays.Add(1)
			default:
				t.Errorf("UseOnce: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || replays.Load() != 49 {
		t.Fatalf("50 concurrent UseOnce on two instances: %d wins, %d replays; want 1 and 49", wins.Load(), replays.Load())
	}
}

// TestUseOnceExpiry pins what a mark whose time has passed means, in Redis
// as in the store: it blocks nothing, and a live mark blocks even a call
// whose own time has passed.
func TestUseOnceExpiry(t *testing.T) {
	c := openClient(t, newPrefix(t), discard)
	s := c.Store(openSQLite(t))
	now := time.Now()
	tests := []struct {
		name   string
		marked time.Time // zero: no earlier call
		at     time.Time
		want   error
	}{
		{name: "past, unmarked", at: now.Add(-2 * time.Second)},
		{name: "zero time, unmarked", at: time.Time{}},
		{name: "past, live mark", marked: now.Add(time.Minute), at: now.Add(-2 * time.Second), want: store.ErrReplay},
		{name: "live mark", marked: now.Add(time.Minute), at: now.Add(time.Minute), want: store.ErrReplay},
		{name: "mark already past", marked: now.Add(-2 * time.Second), at: now.Add(time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if !tt.marked.IsZero() {
				if err := s.UseOnce(ctx, tt.name, tt.marked); err != nil {
					t.Fatalf("first UseOnce: %v", err)
				}
			}
			if err := s.UseOnce(ctx, tt.name, tt.at); !errors.Is(err, tt.want) {
				t.Fatalf("UseOnce: %v, want %v", err, tt.want)
			}
			if tt.at.Before(now) && tt.marked.IsZero() {
				if n, err := c.rdb.Exists(ctx, c.key("once", tt.name)).Result(); err != nil || n != 0 {
					t.Errorf("a past mark was stored: %d, %v", n, err)
				}
			}
		})
	}
}

// TestUseOnceKeys checks that Redis holds the SHA-256 of a key, never the
// jti itself.
func TestUseOnceKeys(t *testing.T) {
	prefix := newPrefix(t)
	c := openClient(t, prefix, discard)
	key := "client_assertion\x00svc\x00secret-jti-value"
	if err := c.Store(openSQLite(t)).UseOnce(context.Background(), key, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	keys, err := c.rdb.Keys(context.Background(), prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(key))
	if want := prefix + "once:" + hex.EncodeToString(sum[:]); len(keys) != 1 || keys[0] != want {
		t.Errorf("keys %q, want only %q", keys, want)
	}
}

// TestUseOnceUnreachable checks that without Redis the store answers, so
// replays are still refused, and that the outage is logged once, without
// the key.
func TestUseOnceUnreachable(t *testing.T) {
	var logs logBuffer
	db := openSQLite(t)
	s := unreachableClient(t, logs.logger()).Store(db)
	ctx := context.Background()
	exp := time.Now().Add(time.Minute)
	if err := s.UseOnce(ctx, "secret-jti", exp); err != nil {
		t.Fatalf("UseOnce: %v", err)
	}
	if err := s.UseOnce(ctx, "secret-jti", exp); !errors.Is(err, store.ErrReplay) {
		t.Fatalf("replay: %v, want ErrReplay", err)
	}
	if err := db.UseOnce(ctx, "secret-jti", exp); !errors.Is(err, store.ErrReplay) {
		t.Errorf("the mark is not in the store: %v", err)
	}
	if err := s.RevokeToken(ctx, store.Revocation{JTI: "jti-r", ExpiresAt: exp, RevokedAt: time.Now()}); err != nil {
		t.Fatalf("RevokeToken with its notice unpublishable: %v", err)
	}
	if ok, err := db.IsRevoked(ctx, "jti-r"); !ok || err != nil {
		t.Errorf("IsRevoked = %v, %v; want the revocation stored", ok, err)
	}
	if n := logs.count("Redis unreachable"); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "secret-jti") {
		t.Errorf("a key was logged:\n%s", logs.String())
	}
}

// TestUseOnceOutage takes Redis away from a running Client and gives it
// back: every mark is in the store, before, during and after the outage,
// and the outage and its end are logged once each.
func TestUseOnceOutage(t *testing.T) {
	var logs logBuffer
	p := newProxy(t, redisOptions(t).Addr)
	c := p.client(t, newPrefix(t), logs.logger())
	db := openSQLite(t)
	s := c.Store(db)
	ctx := context.Background()
	exp := time.Now().Add(time.Minute)
	use := func(key string, want error) {
		t.Helper()
		if err := s.UseOnce(ctx, key, exp); !errors.Is(err, want) {
			t.Fatalf("UseOnce(%s): %v, want %v", key, err, want)
		}
	}
	// inStore reports whether the store holds a mark for key.
	inStore := func(key string) bool {
		return errors.Is(db.UseOnce(ctx, key, exp), store.ErrReplay)
	}

	use("before", nil)
	p.setDown(true)
	use("during", nil)
	use("during", store.ErrReplay)
	use("during-2", nil)
	p.setDown(false)
	c.health.retryAt.Store(0) // as if the probe interval had passed
	use("after", nil)
	use("before", store.ErrReplay)

	for _, key := range []string{"before", "during", "after"} {
		if !inStore(key) {
			t.Errorf("the mark %q is not in the store", key)
		}
	}
	if n := logs.count("Redis unreachable"); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, logs.String())
	}
	if n := logs.count("Redis reachable again"); n != 1 {
		t.Errorf("recovery logged %d times, want once:\n%s", n, logs.String())
	}
}

// flush deletes every key of c's prefix, as FLUSHDB or a restart without
// persistence would, without touching other tests' keys.
func flush(t *testing.T, c *Client) {
	t.Helper()
	ctx := context.Background()
	keys, err := c.rdb.Keys(ctx, c.prefix+"*").Result()
	if err == nil && len(keys) > 0 {
		err = c.rdb.Del(ctx, keys...).Err()
	}
	if err != nil {
		t.Errorf("flush: %v", err)
	}
}

// faultyPair is two instances on one database and one Redis: a reaches
// Redis through a proxy the test cuts or pauses, b directly.
type faultyPair struct {
	p      *proxy
	ca, cb *Client
	a, b   store.Store
}

func newFaultyPair(t *testing.T) faultyPair {
	prefix, db := newPrefix(t), openSQLite(t)
	p := newProxy(t, redisOptions(t).Addr)
	f := faultyPair{p: p, ca: p.client(t, prefix, discard), cb: openClient(t, prefix, discard)}
	f.a, f.b = f.ca.Store(db), f.cb.Store(db)
	return f
}

// TestUseOnceNeverTwice uses a key once, lets Redis fail in one way, and
// presents the key again at both instances: every replay is refused.
func TestUseOnceNeverTwice(t *testing.T) {
	tests := []struct {
		name string
		// before runs before the first use, after between it and the
		// replays.
		before, after func(t *testing.T, f faultyPair)
	}{
		{name: "Redis cut off", after: func(t *testing.T, f faultyPair) { f.p.setDown(true) }},
		{name: "Redis paused", after: func(t *testing.T, f faultyPair) { f.p.setPaused(true) }},
		{
			name: "Redis paused mid-call, then back",
			before: func(t *testing.T, f faultyPair) {
				// A connection first, so that the pause holds the answer
				// to the SET and not the handshake.
				if err := f.ca.rdb.Ping(t.Context()).Err(); err != nil {
					t.Fatal(err)
				}
				f.p.setPaused(true)
			},
			after: func(t *testing.T, f faultyPair) {
				f.p.setPaused(false)
				f.ca.health.retryAt.Store(0) // as if the probe interval had passed
				if n, err := f.cb.rdb.Exists(t.Context(), f.cb.key("once", "jti")).Result(); n != 1 || err != nil {
					t.Fatalf("the SET whose answer was held did not reach Redis: %d, %v", n, err)
				}
			},
		},
		{name: "Redis flushed", after: func(t *testing.T, f faultyPair) { flush(t, f.cb) }},
		{name: "Redis restarted empty", after: func(t *testing.T, f faultyPair) {
			f.p.setDown(true)
			flush(t, f.cb)
			f.p.setDown(false)
			f.ca.health.retryAt.Store(0)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFaultyPair(t)
			ctx := context.Background()
			exp := time.Now().Add(time.Minute)
			if tt.before != nil {
				tt.before(t, f)
			}
			if err := f.a.UseOnce(ctx, "jti", exp); err != nil {
				t.Fatalf("first use: %v", err)
			}
			tt.after(t, f)
			for name, s := range map[string]store.Store{"the same instance": f.a, "another instance": f.b} {
				if err := s.UseOnce(ctx, "jti", exp); !errors.Is(err, store.ErrReplay) {
					t.Errorf("replay at %s: %v, want ErrReplay", name, err)
				}
			}
		})
	}
}

// TestUseOnceConcurrentFaults races 20 calls per key over two instances
// while Redis fails for one of them or is flushed under them: each key
// is used exactly once.
func TestUseOnceConcurrentFaults(t *testing.T) {
	tests := []struct {
		name string
		// fault starts before the race and returns a function that ends
		// it once the race is over.
		fault func(t *testing.T, f faultyPair) (end func())
	}{
		{"Redis paused for one instance", func(t *testing.T, f faultyPair) func() {
			f.p.setPaused(true)
			return func() {}
		}},
		{"Redis flushed during the race", func(t *testing.T, f faultyPair) func() {
			done := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				for range 200 {
					select {
					case <-done:
						return
					default:
						flush(t, f.cb)
					}
				}
			})
			return func() { close(done); wg.Wait() }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFaultyPair(t)
			end := tt.fault(t, f)
			exp := time.Now().Add(time.Minute)
			const keys, calls = 10, 20
			var wins [keys]atomic.Int32
			var wg sync.WaitGroup
			for k := range keys {
				for i := range calls {
					wg.Go(func() {
						switch err := []store.Store{f.a, f.b}[i%2].UseOnce(context.Background(), fmt.Sprint("jti-", k), exp); {
						case err == nil:
							wins[k].Add(1)
						case !errors.Is(err, store.ErrReplay):
							t.Errorf("UseOnce: %v", err)
						}
					})
				}
			}
			wg.Wait()
			end()
			for k := range keys {
				if n := wins[k].Load(); n != 1 {
					t.Errorf("key %d: %d of %d concurrent calls won, want 1", k, n, calls)
				}
			}
		})
	}
}

// failingOnce is a store whose next UseOnce fails as a database fault
// would, before recording anything.
type failingOnce struct {
	store.Store
	fail bool
}

func (f *failingOnce) UseOnce(ctx context.Context, key string, exp time.Time) error {
	if f.fail {
		f.fail = false
		return errors.New("database unavailable")
	}
	return f.Store.UseOnce(ctx, key, exp)
}

// TestUseOnceRetryAfterStoreFault: when the database fails a use it never
// recorded, the Redis mark goes too, so the client's retry of the same
// value succeeds once, and only once.
func TestUseOnceRetryAfterStoreFault(t *testing.T) {
	db := &failingOnce{Store: openSQLite(t), fail: true}
	s := openClient(t, newPrefix(t), discard).Store(db)
	ctx := context.Background()
	exp := time.Now().Add(time.Minute)
	if err := s.UseOnce(ctx, "k", exp); err == nil || errors.Is(err, store.ErrReplay) {
		t.Fatalf("first use while the database fails: %v, want its error", err)
	}
	if err := s.UseOnce(ctx, "k", exp); err != nil {
		t.Fatalf("retry after the fault: %v, want success", err)
	}
	if err := s.UseOnce(ctx, "k", exp); !errors.Is(err, store.ErrReplay) {
		t.Fatalf("a third use: %v, want ErrReplay", err)
	}
}
