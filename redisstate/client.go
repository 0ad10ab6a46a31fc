package redisstate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// callTimeout bounds every Redis call on a request's path. Redis answers in
// well under a millisecond on a healthy network; one that takes longer is
// treated as down, so that a sign-in or a token request falls back instead
// of hanging.
const callTimeout = 250 * time.Millisecond

// probeInterval is how often, during an outage, one call tries Redis
// again; the others fall back at once instead of each waiting for Redis to
// fail.
const probeInterval = time.Second

// errOutage is what a call skipped during an outage reports to its
// fallback.
var errOutage = errors.New("redisstate: Redis is down; waiting for the next probe")

// defaultPrefix starts every key and channel name, so that Portcullis can
// share a Redis database with other applications.
const defaultPrefix = "portcullis:"

// Client is a connection pool to one Redis server, shared by the store
// decorator, the throttle and the revocation subscription. It is safe for
// concurrent use.
type Client struct {
	rdb *redis.Client
	log *slog.Logger
	// prefix starts every key and the channel name; tests set a random one
	// so that concurrent runs do not see each other's state.
	prefix string
	// timeout bounds each call on a request's path: callTimeout, except in
	// tests about atomicity, which must not fall back because a loaded
	// machine made Redis slow.
	timeout time.Duration
	health  health
}

// Open connects to the Redis server at rawURL, redis://[user:password@]host:port/db
// or rediss:// for TLS (the query options of go-redis's ParseURL apply),
// and pings it once within ctx: a Redis that is configured but unreachable
// stops the start. log receives outages, never a key; nil means
// slog.Default(). Close releases the pool.
func Open(ctx context.Context, rawURL string, log *slog.Logger) (*Client, error) {
	// url.Parse errors quote the whole URL, password included, so parse
	// first and keep only the reason.
	if _, err := url.Parse(rawURL); err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("redisstate: parse URL: %w", err)
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisstate: parse URL: %w", err)
	}
	c := newClient(opts, log)
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		c.rdb.Close()
		return nil, fmt.Errorf("redisstate: ping %s: %w", opts.Addr, err)
	}
	return c, nil
}

// newClient builds a Client without contacting Redis.
func newClient(opts *redis.Options, log *slog.Logger) *Client {
	if log == nil {
		log = slog.Default()
	}
	// Without this go-redis ignores context deadlines on socket reads and
	// writes, and callTimeout would not bound a Redis that stopped answering.
	opts.ContextTimeoutEnabled = true
	// go-redis dials five times by default, spending a call's whole budget
	// on a Redis that refuses connections; the outage probe retries instead.
	if opts.DialerRetries == 0 {
		opts.DialerRetries = 1
	}
	return &Client{rdb: redis.NewClient(opts), log: log, prefix: defaultPrefix, timeout: callTimeout, health: health{log: log}}
}

// Close closes the connection pool. Decorated stores stay usable and fall
// back to their database; close them separately.
func (c *Client) Close() error {
	if err := c.rdb.Close(); err != nil {
		return fmt.Errorf("redisstate: close: %w", err)
	}
	return nil
}

// key names a Redis key of the given kind for a caller's key, hashed so that
// Redis never holds a raw jti, username or address, and so that keys have a
// fixed length whatever a client sends.
func (c *Client) key(kind, k string) string {
	sum := sha256.Sum256([]byte(k))
	return c.prefix + kind + ":" + hex.EncodeToString(sum[:])
}

// health tracks whether Redis answers. It logs each outage once, the first
// failure after a success as a warning and the first success after a
// failure as information, so that a Redis down under load does not flood
// the log; and during an outage it lets one call per probeInterval try
// Redis while the others fall back at once.
type health struct {
	log  *slog.Logger
	down atomic.Bool
	// retryAt is when, during an outage, the next call may try Redis, in
	// Unix nanoseconds.
	retryAt atomic.Int64
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
	if h.down.CompareAndSwap(false, true) {
		h.log.Warn("redisstate: Redis unreachable; single-use checks go to the store alone, login throttling to memory, and guards learn of revocations at their poll interval",
			"op", op, "err", err)
	}
}

// ok records a successful call.
func (h *health) ok() {
	if h.down.CompareAndSwap(true, false) {
		h.log.Info("redisstate: Redis reachable again")
	}
}
