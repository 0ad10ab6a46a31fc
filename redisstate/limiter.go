package redisstate

import (
	"context"
	"fmt"

	"github.com/go-redis/redis_rate/v10"

	"github.com/portcullis/portcullis/usage"
)

// Limiter is a usage.Limiter whose allowances live in Redis, so that every
// instance counts against one limit. It runs github.com/go-redis/redis_rate's
// GCRA script, one round trip per decision, with Redis's clock, so
// instances whose clocks differ still agree. It is safe for concurrent use.
//
// Each call waits for Redis at most a quarter of a second. When Redis
// fails, AllowN returns an error and usage.Gate decides by the rule's
// Outage: the request passes, or the instance's memory decides.
type Limiter struct {
	c  *Client
	rl *redis_rate.Limiter
}

// Limiter returns the Client's rate limiter. Its keys are
// "rate:portcullis:limit:" followed by the hex SHA-256 of the rule's name
// and the caller's key (redis_rate puts "rate:" before every key), so
// Redis never holds a client ID or an address; each expires once its
// allowance is whole again.
func (c *Client) Limiter() *Limiter {
	return &Limiter{c: c, rl: redis_rate.NewLimiter(c.rdb)}
}

// AllowN implements usage.Limiter.
func (l *Limiter) AllowN(ctx context.Context, key string, lim usage.Limit, n int) (usage.Result, error) {
	if !lim.Enabled() {
		return usage.Result{Allowed: true}, nil
	}
	if !l.c.health.try() {
		return usage.Result{}, errOutage
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.c.timeout)
	defer cancel()
	res, err := l.rl.AllowN(ctx, l.c.key("limit", key), redis_rate.Limit{Rate: lim.Rate, Burst: lim.Allowance(), Period: lim.Period}, n)
	if err != nil {
		l.c.health.failed("rate limit", err)
		return usage.Result{}, fmt.Errorf("redisstate: rate limit: %w", err)
	}
	l.c.health.ok()
	// redis_rate reports RetryAfter -1 for an allowed request, n or 0.
	out := usage.Result{Allowed: res.RetryAfter < 0, Remaining: res.Remaining, ResetAfter: max(res.ResetAfter, 0)}
	if !out.Allowed {
		out.RetryAfter = res.RetryAfter
	}
	return out, nil
}
