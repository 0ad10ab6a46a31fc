package usage

import (
	"context"
	"time"
)

// Names of the rate limits, as the RateLimit headers, the metric's limit
// label and Event.Limit give them. The configuration keys are
// rate_limits.NAME, except the gateway's (routes[].rate_limit and
// routes[].rate_limit_per_address).
const (
	LimitToken              = "token"
	LimitAuthorize          = "authorize"
	LimitPAR                = "par"
	LimitSignIn             = "signin"
	LimitLoginStart         = "login_start"
	LimitIntrospectFailures = "introspect_failures"
	LimitRevokeFailures     = "revoke_failures"
	LimitRegister           = "register"
	LimitGatewayCaller      = "gateway_caller"
	LimitGatewayAddress     = "gateway_address"
)

// LimitNames are the names above: the only values Event.Limit takes.
var LimitNames = [...]string{
	LimitToken, LimitAuthorize, LimitPAR, LimitSignIn, LimitLoginStart,
	LimitIntrospectFailures, LimitRevokeFailures, LimitRegister, LimitGatewayCaller, LimitGatewayAddress,
}

// Outage is what a rule does when the shared Limiter cannot decide
// (Redis does not answer).
type Outage uint8

const (
	// FallBack lets this instance's memory decide, with the same limit:
	// the limit still holds, per instance. For limits on client
	// addresses, whose callers have proved nothing, so that an outage
	// never lifts them.
	FallBack Outage = iota
	// FailOpen lets the request pass. For limits on authenticated
	// callers (a client, a token's subject), whose service should not
	// depend on Redis.
	FailOpen
)

// LimitRule is a limit as one endpoint applies it.
type LimitRule struct {
	// Name is one of LimitNames.
	Name  string
	Limit Limit
	// Outage is what happens when the shared limiter cannot decide.
	Outage Outage
}

// Decision is a Gate's answer: the Result, and the Rule that gave it, for
// the headers of a refusal.
type Decision struct {
	Result
	Rule LimitRule
}

// Gate applies rules: it asks the shared Limiter, or this instance's
// memory without one or when the rule's Outage says so, and reports each
// refusal to a Sink as a RateLimited event. It is safe for concurrent use.
type Gate struct {
	shared Limiter
	local  *Memory
	sink   Sink
	now    func() time.Time
	clear  clearKeys
}

// NewGate returns a Gate deciding with shared, the limiter every instance
// shares (redisstate's), or with this instance's memory when shared is
// nil. Refusals go to sink (nil means nowhere). now is the time of memory
// limits and events (nil means time.Now), so tests can move it.
func NewGate(shared Limiter, sink Sink, now func() time.Time) *Gate {
	if now == nil {
		now = time.Now
	}
	if sink == nil {
		sink = Fanout(nil)
	}
	return &Gate{shared: shared, local: NewMemory(0, now), sink: sink, now: now}
}

// Allow counts one request of key (a client ID, an address) against the
// rule. A refusal is reported to the Sink as a RateLimited event with
// who's ClientID, Subject, Route and Address. A rule whose Limit is not
// Enabled allows everything, without a look-up.
func (g *Gate) Allow(ctx context.Context, rule LimitRule, key string, who Event) Decision {
	if !rule.Limit.Enabled() {
		return Decision{Result: Result{Allowed: true}, Rule: rule}
	}
	res, _ := g.ask(ctx, rule, key, 1)
	d := Decision{Result: res, Rule: rule}
	if !d.Allowed {
		g.refused(rule, who)
	}
	return d
}

// Check is Allow for a rule that counts failures only (Fail counts them):
// it takes nothing, and refuses once key has no failure left.
func (g *Gate) Check(ctx context.Context, rule LimitRule, key string, who Event) Decision {
	if !rule.Limit.Enabled() {
		return Decision{Result: Result{Allowed: true}, Rule: rule}
	}
	// Only the shared limiter costs a round trip worth sparing.
	remember := g.shared != nil
	if remember {
		if res, ok := g.clear.get(rule.Name+":"+key, g.now()); ok {
			return Decision{Result: res, Rule: rule}
		}
	}
	res, open := g.ask(ctx, rule, key, 0)
	if remember && !open && res.Remaining >= clearMargin {
		g.clear.put(rule.Name+":"+key, res, g.now())
	}
	if res.Allowed && res.Remaining < 1 && !open {
		// The next failure would be refused: it fits once the allowance
		// is whole again but for burst-1 requests.
		t := rule.Limit.interval()
		res.Allowed = false
		res.RetryAfter = max(res.ResetAfter-time.Duration(rule.Limit.Allowance()-1)*t, time.Millisecond)
	}
	if !res.Allowed {
		g.refused(rule, who)
	}
	return Decision{Result: res, Rule: rule}
}

// Fail counts a failure of key against a rule that Check applies. Over
// the limit it counts nothing more: the request was answered already.
func (g *Gate) Fail(ctx context.Context, rule LimitRule, key string) {
	if rule.Limit.Enabled() {
		if g.shared != nil {
			g.clear.drop(rule.Name + ":" + key)
		}
		g.ask(ctx, rule, key, 1)
	}
}

// ask takes n from the rule's allowance for key, falling back as the
// rule's Outage says; open reports that the request passes undecided.
// Keys are prefixed with the rule's name, so that rules never share an
// allowance.
func (g *Gate) ask(ctx context.Context, rule LimitRule, key string, n int) (res Result, open bool) {
	key = rule.Name + ":" + key
	if g.shared != nil {
		res, err := g.shared.AllowN(ctx, key, rule.Limit, n)
		if err == nil {
			return res, false
		}
		if rule.Outage == FailOpen {
			return Result{Allowed: true}, true
		}
	}
	res, _ = g.local.AllowN(ctx, key, rule.Limit, n)
	return res, false
}

func (g *Gate) refused(rule LimitRule, who Event) {
	who.Kind, who.Time, who.Limit = RateLimited, g.now(), rule.Name
	g.sink.Observe(who)
}
