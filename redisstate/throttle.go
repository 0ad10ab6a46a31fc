package redisstate

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/users"
)

// throttleScript applies one operation of users.Throttle to KEYS,
// atomically. An entry is a hash: n failures, the last one at last, locked
// until lock (Unix milliseconds). It expires once it can no longer matter:
// a window after the last failure, or when the lock ends if that is later.
// ARGV: the operation ("wait", "try" or "fail"), now, window and max delay
// in milliseconds, then the free attempts. It returns the wait in
// milliseconds, zero for "fail".
var throttleScript = redis.NewScript(`
local op, now = ARGV[1], tonumber(ARGV[2])
local window, maxDelay, free = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local wait = 0
if op ~= 'fail' then
	for _, k in ipairs(KEYS) do
		local lock = tonumber(redis.call('HGET', k, 'lock'))
		if lock and lock - now > wait then
			wait = lock - now
		end
	end
	if op == 'wait' or wait > 0 then
		return wait
	end
end
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

// Throttle is users.Throttle with its counters in Redis, so that password
// guesses spread over several instances are counted together. It has the
// same rules and method set, and it is safe for concurrent use.
//
// Each call waits for Redis at most a quarter of a second. When Redis
// fails, attempts are counted in memory instead, and Wait and Try answer
// with the longer of the two delays, so locks made during an outage hold
// after it.
type Throttle struct {
	c *Client
	// scope starts every hashed key, so that throttles with different
	// rules never share an entry.
	scope            string
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
// key's last failure; success clears the key. users.NewThrottle (accounts)
// uses 5, 15 minutes and 15 minutes; users.NewAddressThrottle 50, 15
// minutes and 15 minutes.
func (c *Client) Throttle(freeAttempts int, window, maxDelay time.Duration) *Throttle {
	local := users.NewThrottle()
	local.FreeAttempts, local.Window, local.MaxDelay = freeAttempts, window, maxDelay
	return &Throttle{
		c:     c,
		scope: fmt.Sprintf("%d/%d/%d\x00", freeAttempts, window, maxDelay),
		free:  freeAttempts, window: window, maxDelay: maxDelay,
		now: time.Now, local: local,
	}
}

// Wait returns how long the keys must wait before the next attempt; zero
// means an attempt may be made now.
func (t *Throttle) Wait(keys ...string) time.Duration {
	wait := t.local.Wait(keys...)
	ms, err := t.run("wait", keys)
	if err != nil {
		return wait
	}
	return max(wait, ms)
}

// Try is Wait and Fail in one step: if no key must wait, it counts the
// attempt as failed before it is made and returns zero; Succeed clears it.
// Concurrent attempts on every instance cannot all pass the check before
// any counts.
func (t *Throttle) Try(keys ...string) time.Duration {
	if wait := t.local.Wait(keys...); wait > 0 {
		return wait
	}
	wait, err := t.run("try", keys)
	if err != nil {
		return t.local.Try(keys...)
	}
	return wait
}

// Fail records a failed attempt for each key.
func (t *Throttle) Fail(keys ...string) {
	if _, err := t.run("fail", keys); err != nil {
		t.local.Fail(keys...)
	}
}

// Succeed clears the keys' failures.
func (t *Throttle) Succeed(keys ...string) {
	t.local.Succeed(keys...)
	if len(keys) == 0 || !t.c.health.try() {
		// Entries left in Redis expire: the user may meet a delay that
		// success should have lifted, never miss one.
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if err := t.c.rdb.Del(ctx, t.keys(keys)...).Err(); err != nil {
		t.c.health.failed("throttle succeed", err)
		return
	}
	t.c.health.ok()
}

// run applies op to keys in Redis and returns the wait; an error means the
// caller must fall back to memory.
func (t *Throttle) run(op string, keys []string) (time.Duration, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	if !t.c.health.try() {
		return 0, errOutage
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	ms, err := throttleScript.Run(ctx, t.c.rdb, t.keys(keys),
		op, t.now().UnixMilli(), t.window.Milliseconds(), t.maxDelay.Milliseconds(), t.free).Int64()
	if err != nil {
		t.c.health.failed("throttle "+op, err)
		return 0, fmt.Errorf("redisstate: throttle %s: %w", op, err)
	}
	t.c.health.ok()
	return time.Duration(ms) * time.Millisecond, nil
}

// keys maps throttle keys to Redis keys.
func (t *Throttle) keys(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = t.c.key("throttle", t.scope+k)
	}
	return out
}
