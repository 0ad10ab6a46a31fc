package redisstate

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/users"
)

// throttleScript applies one operation of users.Throttle to KEYS,
// atomically, so that of concurrent attempts on every instance exactly the
// free attempts pass. An entry is a hash: n failures, the last one at last,
// locked until lock (Unix milliseconds). It expires once it can no longer
// matter: a window after the last failure, or when the lock ends if that is
// later. ARGV: the operation ("try" or "refund"), now, window and max delay
// in milliseconds, then the free attempts. It returns the wait in
// milliseconds: for "try", zero when the attempt passed and was counted;
// zero for "refund".
var throttleScript = redis.NewScript(`
local op, now = ARGV[1], tonumber(ARGV[2])
local window, maxDelay, free = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if op == 'refund' then
	for _, k in ipairs(KEYS) do
		local e = redis.call('HMGET', k, 'n', 'last')
		local n = tonumber(e[1]) or 0
		if n > 0 and now - (tonumber(e[2]) or 0) <= window then
			n = n - 1
			redis.call('HSET', k, 'n', n)
			if n < free then
				redis.call('HSET', k, 'lock', 0)
			end
		end
	end
	return 0
end
local wait = 0
for _, k in ipairs(KEYS) do
	local lock = tonumber(redis.call('HGET', k, 'lock'))
	if lock and lock - now > wait then
		wait = lock - now
	end
end
if wait > 0 then
	return wait
end
for _, k in ipairs(KEYS) do
	local e = redis.call('HMGET', k, 'n', 'last', 'lock')
	local n, lock = tonumber(e[1]) or 0, tonumber(e[3]) or 0
	if now - (tonumber(e[2]) or 0) > window then
		n, lock = 0, 0
	end
	n = n + 1
	local over = n - free
	if over >= 0 then
		lock = now + math.min(1000 * 2 ^ math.min(over, 20), maxDelay)
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
// fails, attempts are counted in memory instead, and Try also refuses
// while a lock made in memory lasts, so locks made during an outage hold
// after it. A refund goes where Redis answers: one made after an outage
// for an attempt counted during it lets at most that one more attempt
// through.
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

// Try checks and counts in one step: if no key must wait, it counts the
// attempt as failed before it is made and returns zero; otherwise it counts
// nothing and returns the wait. Concurrent attempts on every instance
// cannot all pass the check before any counts.
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

// Refund takes back one attempt Try counted, for an attempt that was not a
// failure after all; a key left with fewer than the free attempts is
// unlocked.
func (t *Throttle) Refund(keys ...string) {
	if _, err := t.run("refund", keys); err != nil {
		t.local.Refund(keys...)
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
	ctx, cancel := context.WithTimeout(context.Background(), t.c.timeout)
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
	ctx, cancel := context.WithTimeout(context.Background(), t.c.timeout)
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
