package redisstate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/internal/ratelog"
)

// callTimeout bounds every Redis call on a request's path. Redis answers in
// well under a millisecond on a healthy network; one that takes longer is
// treated as down, so that a sign-in or a token request falls back instead
// of hanging.
const callTimeout = 250 * time.Millisecond

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
	// stop ends the watcher.
	stop context.CancelFunc
}

// Open connects to the Redis server at rawURL, redis://[user:password@]host:port/db
// or rediss:// for TLS (the query options of go-redis's ParseURL apply).
// Only a URL that does not parse is an error: a Redis that does not answer
// is tried once, within ctx and a second, logged, and then tried again in
// the background while every feature falls back, so that an instance
// starts, degraded, during an outage (Healthy reports it). log receives
// outages, and go-redis's own messages (see routeLibraryLog), never a key;
// nil means slog.Default(). Close releases the pool.
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
	routeLibraryLog(c.log)
	c.ping(ctx)
	return c, nil
}

// newClient builds a Client and starts its watcher, without waiting for
// Redis.
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
	ctx, stop := context.WithCancel(context.Background())
	c := &Client{
		rdb:     redis.NewClient(opts),
		log:     log,
		prefix:  defaultPrefix,
		timeout: callTimeout,
		health:  health{log: ratelog.New(log, logInterval)},
		stop:    stop,
	}
	c.health.okAt.Store(time.Now().UnixNano())
	go c.watch(ctx)
	return c
}

// Close closes the connection pool. Decorated stores stay usable and fall
// back to their database; close them separately.
func (c *Client) Close() error {
	c.stop()
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

// mark sets the key of kind for k until expiresAt with one SET NX PXAT,
// within the client's timeout: nil when the mark is new, redis.Nil when a
// live one was there already, otherwise Redis's error. The single-use
// screen and the DPoP replay cache share it and differ only in what they
// make of a failure.
func (c *Client) mark(ctx context.Context, kind, k string, expiresAt time.Time) error {
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	// PXAT refuses times before the epoch (a zero time.Time); any past
	// time means the same thing.
	at := max(expiresAt.UnixMilli(), 1)
	return c.rdb.Do(rctx, "SET", c.key(kind, k), "1", "NX", "PXAT", at).Err()
}
