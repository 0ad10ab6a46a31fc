package redisstate

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/users"
)

// failScript records a failure for each key in KEYS, atomically per call,
// with the rules of users.Throttle.Fail. An entry is a hash: n failures,
// the last one at last, locked until lock (Unix milliseconds). It expires
// once it can no longer matter: a window after the last failure, or when
// the lock ends if that is later. ARGV: now, window and max delay in
// milliseconds, then the free attempts.
var failScript = redis.NewScript(`
local now, window, maxDelay, free = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
for _, k in ipairs(KEYS) do
	local e = redis.call('HMGET', k, 'n', 'last', 'lock')
	local n, lock = tonumber(e[1]) or 0, tonumber(e[3]) or 0
	if now - (tonumber(e[2]) or 0) > window then
		n, lock = 0, 0
	end
	n = n + 1
	local over = n - free
	if over > 0 then
		lock = now + math.min(1000 * 2 ^ math.min(over - 1, 20), maxDelay)
	end
	redis.call('HSET', k, 'n', n, 'last', now, 'lock', lock)
	redis.call('PEXPIRE', k, math.max(window, lock - now, 1))
end
return 0
`)

// waitScript returns the longest lock of KEYS past ARGV[1], now in Unix
// milliseconds, in milliseconds.
var waitScript = redis.NewScript(`
local now, wait = tonumber(ARGV[1]), 0
for _, k in ipairs(KEYS) do
	local lock = tonumber(redis.call('HGET', k, 'lock'))
	if lock and lock - now > wait then
		wait = lock - now
	end
end
return wait
`)

// Throttle is users.Throttle with its counters in Redis, so that password
// guesses spread over several instances are counted together. It has the
// same rules and method set, and it is safe for concurrent use.
//
// Each call waits for Redis at most a quarter of a second. When Redis
// fails, failures are counted in memory instead, and Wait answers with the
// longer of the two delays, so locks made during an outage hold after it.
type Throttle struct {
	c                *Client
	free             int
	window, maxDelay time.Duration
	// now is the time the throttle works with; every instance sends its
	// own clock, so tests can move it and instances with slightly
	// different clocks only shift delays by that difference.
	now   func() time.Time
	local *users.Throttle
}

// Throttle returns a throttle that allows freeAttempts failures per key
// within window, then locks the key for a delay that starts at 1 s and
// doubles with each further failure up to maxDelay. A window counts from a
// key's last failure; success clears the key. users.NewThrottle's defaults
// are 5, 15 minutes and 15 minutes.
func (c *Client) Throttle(freeAttempts int, window, maxDelay time.Duration) *Throttle {
	local := users.NewThrottle()
	local.FreeAttempts, local.Window, local.MaxDelay = freeAttempts, window, maxDelay
	return &Throttle{c: c, free: freeAttempts, window: window, maxDelay: maxDelay, now: time.Now, local: local}
}

// Wait returns how long the keys must wait before the next attempt; zero
// means an attempt may be made now.
func (t *Throttle) Wait(keys ...string) time.Duration {
	wait := t.local.Wait(keys...)
	if len(keys) == 0 {
		return wait
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	ms, err := waitScript.Run(ctx, t.c.rdb, t.keys(keys), t.now().UnixMilli()).Int64()
	if err != nil {
		t.c.health.failed("throttle wait", err)
		return wait
	}
	t.c.health.ok()
	return max(wait, time.Duration(ms)*time.Millisecond)
}

// Fail records a failed attempt for each key.
func (t *Throttle) Fail(keys ...string) {
	if len(keys) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	err := failScript.Run(ctx, t.c.rdb, t.keys(keys),
		t.now().UnixMilli(), t.window.Milliseconds(), t.maxDelay.Milliseconds(), t.free).Err()
	if err != nil {
		t.c.health.failed("throttle fail", err)
		t.local.Fail(keys...)
		return
	}
	t.c.health.ok()
}

// Succeed clears the keys' failures.
func (t *Throttle) Succeed(keys ...string) {
	t.local.Succeed(keys...)
	if len(keys) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if err := t.c.rdb.Del(ctx, t.keys(keys)...).Err(); err != nil {
		// The entries stay until they expire: the user may meet a delay
		// that success should have lifted, never a missing one.
		t.c.health.failed("throttle succeed", err)
		return
	}
	t.c.health.ok()
}

// keys maps throttle keys to Redis keys.
func (t *Throttle) keys(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = t.c.key("throttle", k)
	}
	return out
}
