package redisstate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/dpop"
)

// TestDPoPReplay checks the replay cache of RFC 9449 proofs: a key is
// used once across instances sharing a namespace, once per namespace, and
// Redis holds its SHA-256 only.
func TestDPoPReplay(t *testing.T) {
	prefix := newPrefix(t)
	a, b := openClient(t, prefix, discard), openClient(t, prefix, discard)
	ctx := context.Background()
	exp := time.Now().Add(time.Minute)
	key := "dpop:secret-jti"
	tests := []struct {
		name  string
		cache *DPoPReplay
		want  error
	}{
		{name: "first use", cache: a.DPoPReplay("gateway")},
		{name: "again", cache: a.DPoPReplay("gateway"), want: dpop.ErrReplay},
		{name: "at another instance", cache: b.DPoPReplay("gateway"), want: dpop.ErrReplay},
		{name: "in another namespace", cache: b.DPoPReplay("orders-api")},
		{name: "again in that namespace", cache: a.DPoPReplay("orders-api"), want: dpop.ErrReplay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cache.UseOnce(ctx, key, exp); !errors.Is(err, tt.want) {
				t.Fatalf("UseOnce: %v, want %v", err, tt.want)
			}
		})
	}
	keys, err := a.rdb.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(key))
	for _, k := range keys {
		if !strings.HasSuffix(k, ":"+hex.EncodeToString(sum[:])) || strings.Contains(k, "secret-jti") {
			t.Errorf("key %q does not hide the jti behind its SHA-256", k)
		}
	}
	if len(keys) != 2 {
		t.Errorf("keys %q, want one per namespace", keys)
	}
}

// TestDPoPReplayRace races 50 uses of one key over two instances: exactly
// one wins.
func TestDPoPReplayRace(t *testing.T) {
	prefix := newPrefix(t)
	var caches []*DPoPReplay
	for range 2 {
		c := openClient(t, prefix, discard)
		// Atomicity is under test, not speed: a loaded machine must not
		// turn a call into a timeout.
		c.timeout = 10 * time.Second
		caches = append(caches, c.DPoPReplay("api"))
	}
	var wins, replays atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 50 {
		wg.Go(func() {
			<-start
			switch err := caches[i%2].UseOnce(context.Background(), "jti", time.Now().Add(time.Minute)); {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, dpop.ErrReplay):
				replays.Add(1)
			default:
				t.Errorf("UseOnce: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || replays.Load() != 49 {
		t.Fatalf("%d wins and %d replays, want 1 and 49", wins.Load(), replays.Load())
	}
}

// TestDPoPReplayFailsClosed: without Redis no proof is accepted, and the
// error is no replay, so that the guard answers 503 rather than blame the
// client; the outage is logged once, without the key.
func TestDPoPReplayFailsClosed(t *testing.T) {
	var logs logBuffer
	c := unreachableClient(t, logs.logger())
	r := c.DPoPReplay("api")
	for i := range 3 {
		err := r.UseOnce(context.Background(), "secret-jti", time.Now().Add(time.Minute))
		if err == nil || errors.Is(err, dpop.ErrReplay) {
			t.Fatalf("call %d without Redis: %v, want an outage error", i, err)
		}
	}
	if n := logs.count("Redis unreachable"); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "secret-jti") {
		t.Errorf("a key was logged:\n%s", logs.String())
	}
}

// TestDPoPReplayBackAfterOutage: once Redis answers again, so does the
// cache, and marks set before the outage still hold.
func TestDPoPReplayBackAfterOutage(t *testing.T) {
	p := newProxy(t, redisOptions(t).Addr)
	c := p.client(t, newPrefix(t), discard)
	r := c.DPoPReplay("api")
	ctx := context.Background()
	exp := time.Now().Add(time.Minute)
	if err := r.UseOnce(ctx, "before", exp); err != nil {
		t.Fatal(err)
	}
	p.setDown(true)
	if err := r.UseOnce(ctx, "during", exp); err == nil || errors.Is(err, dpop.ErrReplay) {
		t.Fatalf("during the outage: %v, want an outage error", err)
	}
	p.setDown(false)
	waitFor(t, "the Client to find Redis again", c.Healthy)
	if err := r.UseOnce(ctx, "before", exp); !errors.Is(err, dpop.ErrReplay) {
		t.Errorf("a mark from before the outage: %v, want ErrReplay", err)
	}
	if err := r.UseOnce(ctx, "during", exp); err != nil {
		t.Errorf("a proof refused during the outage, sent again: %v", err)
	}
}
