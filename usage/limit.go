package usage

import (
	"context"
	"fmt"
	"time"
)

// Limit is a rate limit by the generic cell rate algorithm (GCRA): Rate
// requests per Period on average, of which Burst may come at once. In the
// configuration file it is written {rate: 10, period: 1m, burst: 10}.
// Refused requests count nothing. The zero value (Rate 0) limits nothing.
type Limit struct {
	// Rate is how many requests a Period allows. Zero means no limit.
	Rate int `yaml:"rate" json:"rate"`
	// Period is the time Rate requests take, whole seconds from 1s to
	// 24h (the RateLimit-Policy header gives it in seconds). Required
	// with Rate.
	Period time.Duration `yaml:"period" json:"-"`
	// Burst is how many requests may come at once after a quiet spell.
	// Zero means Rate.
	Burst int `yaml:"burst" json:"burst,omitempty"`
}

// Bounds of a Limit's values.
const (
	MaxRate   = 1_000_000
	MaxBurst  = 1_000_000
	MaxPeriod = 24 * time.Hour
)

// PerMinute is a limit of n requests a minute, n of them at once.
func PerMinute(n int) Limit { return Limit{Rate: n, Period: time.Minute, Burst: n} }

// Enabled reports whether l limits anything.
func (l Limit) Enabled() bool { return l.Rate > 0 }

// Problem is one bad value of a Limit.
type Problem struct {
	// Field is the value's YAML key: rate, period or burst.
	Field   string
	Problem string
}

// Problems returns what is wrong with l, each naming its field, for the
// configuration's validation to put under the limit's key. The zero
// value has none.
func (l Limit) Problems() []Problem {
	var ps []Problem
	if l.Rate < 0 || l.Rate > MaxRate {
		ps = append(ps, Problem{"rate", fmt.Sprintf("must be between 0 (no limit) and %d", MaxRate)})
	}
	if l.Burst < 0 || l.Burst > MaxBurst {
		ps = append(ps, Problem{"burst", fmt.Sprintf("must be between 0 (the rate) and %d", MaxBurst)})
	}
	switch {
	case l.Rate < 0:
	case l.Rate == 0 && l.Period != 0:
		ps = append(ps, Problem{"period", "needs a rate; rate 0 means no limit"})
	case l.Rate == 0:
	case l.Period == 0:
		ps = append(ps, Problem{"period", "is required with a rate, for example 1m"})
	case l.Period < time.Second || l.Period > MaxPeriod || l.Period%time.Second != 0:
		ps = append(ps, Problem{"period", "must be whole seconds between 1s and 24h"})
	}
	if l.Rate == 0 && l.Burst > 0 {
		ps = append(ps, Problem{"burst", "needs a rate; rate 0 means no limit"})
	}
	return ps
}

// Allowance is how many requests may come at once: Burst, or Rate when
// Burst is zero.
func (l Limit) Allowance() int {
	if l.Burst == 0 {
		return l.Rate
	}
	return l.Burst
}

// interval is the emission interval: the time one request's allowance
// takes to come back.
func (l Limit) interval() time.Duration { return l.Period / time.Duration(l.Rate) }

// String describes l for people, as "10 per 1m0s (burst 10)".
func (l Limit) String() string {
	if !l.Enabled() {
		return "no limit"
	}
	return fmt.Sprintf("%d per %s (burst %d)", l.Rate, l.Period, l.Allowance())
}

// Result is what a Limiter decided about a request.
type Result struct {
	// Allowed says whether the request may proceed; a refused one took
	// nothing from the allowance.
	Allowed bool
	// Remaining is how many more requests would be allowed now.
	Remaining int
	// RetryAfter is, for a refused request, how long until it would be
	// allowed; zero for an allowed one.
	RetryAfter time.Duration
	// ResetAfter is how long until the key has its whole burst back.
	ResetAfter time.Duration
}

// Limiter decides rate limits. Memory is one instance's; redisstate's is
// shared by every instance through Redis. Both implement the same GCRA,
// that of github.com/go-redis/redis_rate, so a limit means the same with
// either.
type Limiter interface {
	// AllowN takes n requests from the allowance l gives key, all of them
	// or, when they do not fit, none. n = 0 takes nothing and reports
	// what is left. An error means the limiter could not decide (Redis
	// does not answer); Gate then applies the rule's Outage.
	AllowN(ctx context.Context, key string, l Limit, n int) (Result, error)
}
