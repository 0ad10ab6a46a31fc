package config

import (
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/usage"
)

// RateLimits is the rate_limits section: how often a client, or a client
// address (an IPv6 /64), may call the endpoints, each limit written
// {rate: 10, period: 1m, burst: 10} (usage.Limit). An absent key takes
// its default below; {rate: 0} turns a limit off. With redis configured,
// every instance counts against one limit; otherwise each instance
// counts alone.
type RateLimits struct {
	// Token limits each client's token requests, once it has
	// authenticated; a client's own rate_limit overrides it. Default:
	// none, since machine clients' volumes differ too much for one
	// number.
	Token *usage.Limit `yaml:"token"`
	// Authorize limits GET and POST /authorize per address. Default:
	// 120 a minute, 60 at once.
	Authorize *usage.Limit `yaml:"authorize"`
	// PAR limits pushes to /par by public clients per address (a
	// confidential client's pushes are not counted per address).
	// Default: 120 a minute, 60 at once.
	PAR *usage.Limit `yaml:"par"`
	// SignIn limits posts of the sign-in form (/login) per address,
	// whatever their outcome; failed passwords are throttled apart.
	// Default: 30 a minute, 10 at once.
	SignIn *usage.Limit `yaml:"signin"`
	// LoginStart limits the OAuth Agent's /login/start per address.
	// Default: 30 a minute, 30 at once (or oauth_agent's older
	// login_starts_per_minute, which must not be set with it).
	LoginStart *usage.Limit `yaml:"login_start"`
	// IntrospectFailures and RevokeFailures limit per address the
	// refused requests (4xx, mostly failed client authentication) at
	// /introspect and /revoke; over them the address is refused before
	// its credentials are checked. Default: 10 a minute, 20 at once.
	IntrospectFailures *usage.Limit `yaml:"introspect_failures"`
	RevokeFailures     *usage.Limit `yaml:"revoke_failures"`
}

// Defaults of the rate_limits section. The unauthenticated endpoints are
// limited by default, well above what people behind one address do (an
// office behind NAT signing in at nine), so that one address cannot make
// the server store, hash or verify without bound; the token endpoint is
// not, since its callers have authenticated.
var (
	DefaultAuthorizeLimit = usage.Limit{Rate: 120, Period: time.Minute, Burst: 60}
	DefaultPARLimit       = usage.Limit{Rate: 120, Period: time.Minute, Burst: 60}
	DefaultSignInLimit    = usage.Limit{Rate: 30, Period: time.Minute, Burst: 10}
	DefaultLoginStart     = usage.PerMinute(30)
	DefaultFailuresLimit  = usage.Limit{Rate: 10, Period: time.Minute, Burst: 20}
)

// validateRateLimits checks the rate limits and fills in the defaults.
func (c *Config) validateRateLimits(p *problems) {
	r := &c.RateLimits
	if c.OAuthAgent != nil && c.OAuthAgent.LoginStartsPerMinute != 0 {
		if r.LoginStart != nil {
			p.add("oauth_agent.login_starts_per_minute", "is the older spelling of rate_limits.login_start: set only rate_limits.login_start")
		} else if c.OAuthAgent.LoginStartsPerMinute > 0 {
			l := usage.PerMinute(c.OAuthAgent.LoginStartsPerMinute)
			r.LoginStart = &l
		}
	}
	for _, f := range []struct {
		key string
		l   **usage.Limit
		def usage.Limit
	}{
		{"token", &r.Token, usage.Limit{}},
		{"authorize", &r.Authorize, DefaultAuthorizeLimit},
		{"par", &r.PAR, DefaultPARLimit},
		{"signin", &r.SignIn, DefaultSignInLimit},
		{"login_start", &r.LoginStart, DefaultLoginStart},
		{"introspect_failures", &r.IntrospectFailures, DefaultFailuresLimit},
		{"revoke_failures", &r.RevokeFailures, DefaultFailuresLimit},
	} {
		if *f.l == nil {
			*f.l = &f.def
		}
		checkLimit(p, "rate_limits."+f.key, **f.l)
	}
	if c.OAuthAgent != nil {
		c.OAuthAgent.LoginStartLimit = *r.LoginStart
	}
}

// checkLimit adds a problem for each bad value of l, under key.
func checkLimit(p *problems, key string, l usage.Limit) {
	for _, pr := range l.Problems() {
		p.add(key+"."+pr.Field, pr.Problem)
	}
}

// authServerLimits are the authorization server's rate limits.
func (c *Config) authServerLimits() authserver.RateLimits {
	r := c.RateLimits
	// A client's own rate_limit travels with the client (storeClient).
	return authserver.RateLimits{
		Token: *r.Token, Authorize: *r.Authorize, PAR: *r.PAR, SignIn: *r.SignIn,
		IntrospectFailures: *r.IntrospectFailures, RevokeFailures: *r.RevokeFailures,
	}
}

// checkClientLimit checks a client's own rate limit.
func checkClientLimit(p *problems, key string, cl Client) {
	if cl.RateLimit != nil {
		checkLimit(p, key+".rate_limit", *cl.RateLimit)
	}
}
