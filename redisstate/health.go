package redisstate

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portcullis/portcullis/internal/ratelog"
)

// Health timing.
const (
	// probeInterval is how often, during an outage, Redis is tried again:
	// the watcher pings it, and otherwise one call tries it while the
	// others fall back at once instead of each waiting for Redis to fail.
	probeInterval = time.Second
	// probeTimeout bounds the watcher's ping. It is longer than
	// callTimeout because nothing waits for it, and a first connection
	// (with TLS, to a distant Redis) may take longer than a call.
	probeTimeout = time.Second
	// idleCheck is how long Redis may go without a successful call
	// before the watcher pings it, so that an idle instance still knows,
	// and /readyz still says, whether Redis answers.
	idleCheck = 10 * time.Second
	// logInterval is how often one cause of trouble with Redis may be
	// logged: the start and end of outages, and each kind of go-redis
	// message.
	logInterval = time.Minute
)

// health tracks whether Redis answers. It logs the first failure after a
// success as a warning and the first success after a failure as
// information, each at most once per logInterval, so that a Redis down or
// flapping under load does not flood the log; and during an outage it lets
// one call per probeInterval try Redis while the others fall back at once.
type health struct {
	log *ratelog.Logger
	// down is read on every call; it changes only under mu.
	down atomic.Bool
	// retryAt is when, during an outage, the next call may try Redis, in
	// Unix nanoseconds.
	retryAt atomic.Int64
	// okAt is when a call last succeeded, in Unix nanoseconds.
	okAt atomic.Int64

	mu sync.Mutex
	// back is closed when the current outage ends; nil while Redis
	// answers.
	back chan struct{}
}

// try reports whether a call should go to Redis: always while it answers,
// and during an outage for one call per probeInterval.
func (h *health) try() bool {
	if !h.down.Load() {
		return true
	}
	now := time.Now().UnixNano()
	at := h.retryAt.Load()
	return now >= at && h.retryAt.CompareAndSwap(at, now+int64(probeInterval))
}

// failed records a failed call; op says what was being done, never with
// which key.
func (h *health) failed(op string, err error) {
	h.retryAt.Store(time.Now().Add(probeInterval).UnixNano())
	if h.down.Load() {
		return
	}
	h.mu.Lock()
	started := !h.down.Load()
	if started {
		h.back = make(chan struct{})
		h.down.Store(true)
	}
	h.mu.Unlock()
	if started {
		h.log.Log(context.Background(), slog.LevelWarn, "unreachable",
			"redisstate: Redis unreachable; single-use checks go to the store alone, login throttling and per-address rate limits to memory, authenticated callers are not rate limited, and guards learn of revocations at their poll interval",
			"op", op, "err", err)
	}
}

// ok records a successful call.
func (h *health) ok() {
	h.okAt.Store(time.Now().UnixNano())
	if !h.down.Load() {
		return
	}
	h.mu.Lock()
	ended := h.down.Load()
	if ended {
		h.down.Store(false)
		close(h.back)
		h.back = nil
	}
	h.mu.Unlock()
	if ended {
		h.log.Log(context.Background(), slog.LevelInfo, "reachable", "redisstate: Redis reachable again")
	}
}

// waitUp waits until Redis answers again, and reports false if ctx ended
// first.
func (h *health) waitUp(ctx context.Context) bool {
	h.mu.Lock()
	back := h.back
	h.mu.Unlock()
	if back == nil {
		return true
	}
	select {
	case <-back:
		return true
	case <-ctx.Done():
		return false
	}
}

// Healthy reports whether Redis answered the last time it was used or
// pinged, without waiting for it. While it does not, every feature that
// uses it falls back (see the package documentation) and the instance
// works on, degraded; /readyz reports it.
func (c *Client) Healthy() bool { return !c.health.down.Load() }

// watch pings Redis until ctx ends: every probeInterval during an outage,
// so that the outage ends, and the subscription returns, without waiting
// for a request to find out; and after idleCheck without a successful
// call, so that an idle instance notices an outage.
func (c *Client) watch(ctx context.Context) {
	t := time.NewTicker(probeInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !c.health.down.Load() && time.Since(time.Unix(0, c.health.okAt.Load())) < idleCheck {
			continue
		}
		c.ping(ctx)
	}
}

// ping tries Redis once, within probeTimeout, and records the outcome.
func (c *Client) ping(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	err := c.rdb.Ping(pctx).Err()
	switch {
	case err == nil:
		c.health.ok()
	case ctx.Err() == nil:
		c.health.failed("ping", err)
	}
}
