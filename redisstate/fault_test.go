package redisstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// TestFaultOpenWithoutRedis opens a Client while nothing listens at
// Redis's address: Open succeeds and the Client reports itself degraded,
// every feature falls back, and the log holds JSON lines only, few of them
// however many calls fail. When Redis appears at the address, the Client
// finds it by itself, without a call, and a subscriber started during the
// outage subscribes and receives notices.
func TestFaultOpenWithoutRedis(t *testing.T) {
	opts := redisOptions(t)
	var logs logBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	addr := closedAddr(t)
	prefix := newPrefix(t)
	c, err := Open(t.Context(), fmt.Sprintf("redis://%s/%d", addr, opts.DB), log)
	if err != nil {
		t.Fatalf("Open without Redis: %v", err)
	}
	c.prefix = prefix
	t.Cleanup(func() { c.Close() })
	if c.Healthy() {
		t.Fatal("Healthy without Redis")
	}

	// Everything falls back, many times over.
	db := openSQLite(t)
	s, th := c.Store(db), c.Throttle(5, 15*time.Minute, 15*time.Minute)
	ctx := context.Background()
	exp := time.Now().Add(time.Minute)
	for i := range 10 {
		key := fmt.Sprint("jti-", i)
		if err := s.UseOnce(ctx, key, exp); err != nil {
			t.Fatalf("UseOnce during the outage: %v", err)
		}
		if err := s.UseOnce(ctx, key, exp); !errors.Is(err, store.ErrReplay) {
			t.Fatalf("replay during the outage: %v", err)
		}
		th.Try("ip:198.51.100.7")
		c.health.retryAt.Store(0) // as if the probe interval had passed
	}
	notices := make(chan struct{}, 100)
	sctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.SubscribeRevocations(sctx, func() { notices <- struct{}{} })

	newProxyOn(t, addr, opts.Addr)
	waitFor(t, "the Client to find Redis", c.Healthy)
	await(t, notices, 10*time.Second, "Redis appearing")
	publisher := openClient(t, prefix, discard)
	publisher.PublishChange(ctx, TopicRevocations)
	await(t, notices, 10*time.Second, "a notice after Redis appeared")

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Errorf("a log line is not JSON: %q", l)
		}
	}
	// One line for the outage, one for its end, and one for each kind of
	// go-redis message.
	if len(lines) > 6 {
		t.Errorf("%d log lines for one outage, want at most 6:\n%s", len(lines), logs.String())
	}
	if n := logs.count("Redis unreachable"); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, logs.String())
	}
}
