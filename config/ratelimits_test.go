package config

import (
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// TestRateLimits reads the rate_limits section as the README writes it:
// set limits, defaults for absent keys, {rate: 0} for none, and a
// client's own limit, exemption included.
func TestRateLimits(t *testing.T) {
	doc := `
issuer: http://127.0.0.1:8080
storage: sqlite://x.db
apis: [{identifier: "https://api.example.com", scopes: [a]}]
rate_limits:
  token: {rate: 10, period: 1m, burst: 10}
  signin: {rate: 5, period: 1m}
  revoke_failures: {rate: 0}
clients:
  - {client_id: batch, client_secret: ` + secret + `, grant_types: [client_credentials], rate_limit: {rate: 100, period: 1h, burst: 5}}
  - {client_id: internal, client_secret: ` + secret + `, grant_types: [client_credentials], rate_limit: {rate: 0}}
  - {client_id: plain, client_secret: ` + secret + `, grant_types: [client_credentials]}
`
	cfg, err := Parse([]byte(doc), "/", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	as := cfg.AuthServer()
	r := as.RateLimits
	own := map[string]*store.RateLimit{}
	for _, c := range as.Clients {
		own[c.ID] = c.RateLimit
	}
	want := map[string][2]usage.Limit{
		"token":                {r.Token, {Rate: 10, Period: time.Minute, Burst: 10}},
		"signin":               {r.SignIn, {Rate: 5, Period: time.Minute}},
		"revoke_failures":      {r.RevokeFailures, {}},
		"authorize (default)":  {r.Authorize, DefaultAuthorizeLimit},
		"par (default)":        {r.PAR, DefaultPARLimit},
		"introspect (default)": {r.IntrospectFailures, DefaultFailuresLimit},
	}
	for name, v := range want {
		if v[0] != v[1] {
			t.Errorf("%s: %+v, want %+v", name, v[0], v[1])
		}
	}
	// A client's own limit travels with it; {rate: 0} exempts it, and
	// none (nil) means rate_limits.token.
	wantOwn := map[string]*store.RateLimit{"batch": {Rate: 100, Period: time.Hour, Burst: 5}, "internal": {}, "plain": nil}
	for id, w := range wantOwn {
		if got := own[id]; (got == nil) != (w == nil) || got != nil && *got != *w {
			t.Errorf("client %s's own limit %+v, want %+v", id, got, w)
		}
	}
}

// TestRateLimitDefaults: with no rate_limits section, the unauthenticated
// endpoints are limited and the token endpoint is not.
func TestRateLimitDefaults(t *testing.T) {
	cfg, err := Parse([]byte("issuer: http://127.0.0.1:8080\nstorage: sqlite://x.db\n"), "/", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.AuthServer().RateLimits
	if r.Token.Enabled() || r.Authorize != DefaultAuthorizeLimit || r.SignIn != DefaultSignInLimit || r.PAR != DefaultPARLimit ||
		r.IntrospectFailures != DefaultFailuresLimit || r.RevokeFailures != DefaultFailuresLimit {
		t.Fatalf("defaults %+v", r)
	}
}

// TestRateLimitProblems: each bad value is reported under its key.
func TestRateLimitProblems(t *testing.T) {
	base := "issuer: http://127.0.0.1:8080\nstorage: sqlite://x.db\napis: [{identifier: \"https://api.example.com\", scopes: [a]}]\n"
	agent := "oauth_agent:\n  listen: 127.0.0.1:8081\n  issuer: http://127.0.0.1:8080\n  client_id: spa-agent\n  client_secret: s\n" +
		"  redirect_uri: http://127.0.0.1:3000/\n  trusted_web_origins: [http://127.0.0.1:3000]\n  cookie_encryption_key: " + strings.Repeat("ab", 32) + "\n"
	tests := []struct {
		name, doc, want string
	}{
		{"no period", base + "rate_limits: {token: {rate: 10}}\n", "rate_limits.token.period: is required with a rate"},
		{"sub-second period", base + "rate_limits: {authorize: {rate: 10, period: 500ms}}\n", "rate_limits.authorize.period: must be whole seconds"},
		{"negative rate", base + "rate_limits: {par: {rate: -1, period: 1m}}\n", "rate_limits.par.rate: must be between"},
		{"negative burst", base + "rate_limits: {signin: {rate: 1, period: 1m, burst: -2}}\n", "rate_limits.signin.burst: must be between"},
		{"unknown key", base + "rate_limits: {tokens: {rate: 1, period: 1m}}\n", "rate_limits.tokens: unknown key"},
		{"unknown limit field", base + "rate_limits: {token: {rate: 1, per: 1m}}\n", "rate_limits.token.per: unknown key"},
		{"bad period", base + "rate_limits: {token: {rate: 1, period: soon}}\n", "line 4"},
		{"a client's", base + "clients:\n  - {client_id: c, client_secret: " + secret + ", grant_types: [client_credentials], rate_limit: {rate: 3, period: 48h}}\n",
			"clients[0].rate_limit.period: must be whole seconds between 1s and 24h"},
		{"login_start twice", base + "rate_limits: {login_start: {rate: 3, period: 1m}}\n" + agent + "  login_starts_per_minute: 10\n",
			"oauth_agent.login_starts_per_minute: is the older spelling of rate_limits.login_start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), "/", env(nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestLoginStartLimit: the agent takes rate_limits.login_start, or the
// older login_starts_per_minute, or the default.
func TestLoginStartLimit(t *testing.T) {
	agent := "oauth_agent:\n  listen: 127.0.0.1:8081\n  issuer: http://127.0.0.1:8080\n  client_id: spa-agent\n  client_secret: s\n" +
		"  redirect_uri: http://127.0.0.1:3000/\n  trusted_web_origins: [http://127.0.0.1:3000]\n  cookie_encryption_key: " + strings.Repeat("ab", 32) + "\n"
	base := "issuer: http://127.0.0.1:8080\nstorage: sqlite://x.db\n"
	tests := []struct {
		name string
		doc  string
		want usage.Limit
	}{
		{"default", base + agent, DefaultLoginStart},
		{"rate_limits.login_start", base + "rate_limits: {login_start: {rate: 3, period: 1m, burst: 1}}\n" + agent, usage.Limit{Rate: 3, Period: time.Minute, Burst: 1}},
		{"login_starts_per_minute", base + agent + "  login_starts_per_minute: 10\n", usage.PerMinute(10)},
		{"off", base + "rate_limits: {login_start: {rate: 0}}\n" + agent, usage.Limit{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.doc), "/", env(nil))
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.OAuthAgent.LoginStartLimit; got != tt.want {
				t.Fatalf("login start limit %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestGatewayRateLimits reads a route's limits as the README writes
// them; the gateway counts addresses behind the top-level
// trusted_proxies.
func TestGatewayRateLimits(t *testing.T) {
	doc := `issuer: http://127.0.0.1:8080
storage: sqlite://x.db
trusted_proxies: [10.0.0.0/8]
gateway:
  listen: 127.0.0.1:8082
  issuer: http://127.0.0.1:8080
  audience: https://api.example.com
  routes:
    - {path: /users, upstream: "http://127.0.0.1:9000", rate_limit: {rate: 100, period: 1m, burst: 20}, rate_limit_per_address: {rate: 1000, period: 1h}}
    - {path: /bad, upstream: "http://127.0.0.1:9000", rate_limit: {rate: 100, period: 100ms}}
`
	_, err := Parse([]byte(doc), "/", env(nil))
	if want := "gateway.routes[1].rate_limit.period: must be whole seconds"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one containing %q", err, want)
	}
	cfg, err := Parse([]byte(strings.Replace(doc, "period: 100ms", "period: 1s", 1)), "/", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Gateway.Routes[0]
	if r.RateLimit != (usage.Limit{Rate: 100, Period: time.Minute, Burst: 20}) || r.RateLimitPerAddress != (usage.Limit{Rate: 1000, Period: time.Hour}) ||
		len(cfg.Gateway.TrustedProxies) != 1 || cfg.Gateway.TrustedProxies[0].String() != "10.0.0.0/8" {
		t.Fatalf("route %+v, trusted proxies %v", r, cfg.Gateway.TrustedProxies)
	}
}
