package agent_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"testing"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/usage"
)

// TestLoginStartsBounded: every /login/start pushes a request the provider
// stores, so one client address may start only so many logins a minute;
// the rest get 429 with Retry-After and the RateLimit headers, which the
// app may read, and nothing reaches the provider. The older
// login_starts_per_minute and LoginStartLimit say the same.
func TestLoginStartsBounded(t *testing.T) {
	as := authservertest.New(t)
	proxy := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	tests := []struct {
		name      string
		trusted   []netip.Prefix
		forwarded func(i int) string
		admitted  int
		older     bool // set login_starts_per_minute, not LoginStartLimit
	}{
		{"one address", nil, func(int) string { return "" }, 5, false},
		{"one address, login_starts_per_minute", nil, func(int) string { return "" }, 5, true},
		{"X-Forwarded-For from an untrusted peer is ignored", nil, func(i int) string { return fmt.Sprintf("198.51.100.%d", i) }, 5, false},
		{"behind a trusted proxy, each address counts alone", proxy, func(i int) string { return fmt.Sprintf("198.51.100.%d", i) }, 12, false},
		{"IPv6 addresses count by /64", proxy, func(i int) string { return fmt.Sprintf("2001:db8:1:2::%x", i+1) }, 5, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := portcullisConfig(as)
			cfg.LoginStartLimit, cfg.TrustedProxies = usage.PerMinute(5), tt.trusted
			if tt.older {
				cfg.LoginStartLimit, cfg.LoginStartsPerMinute = usage.Limit{}, 5
			}
			base, _ := startAgent(t, cfg)
			b := newBrowser(t, base, cfg)
			admitted := 0
			for i := range 12 {
				a := b.post("/login/start", nil, func(r *http.Request) {
					if f := tt.forwarded(i); f != "" {
						r.Header.Set("X-Forwarded-For", f)
					}
				})
				switch a.status {
				case http.StatusOK:
					admitted++
				case http.StatusTooManyRequests:
					n, _ := strconv.Atoi(a.header.Get("Retry-After"))
					if code := a.code(t); code != "too_many_requests" || n < 1 || n > 12 ||
						a.header.Get("Access-Control-Expose-Headers") != "Retry-After, RateLimit-Policy, RateLimit" ||
						a.header.Get("RateLimit-Policy") != `"login_start";q=5;w=60` || a.header.Get("RateLimit") != fmt.Sprintf(`"login_start";r=0;t=%d`, n) {
						t.Fatalf("refusal %d: %s, Retry-After %q, %v", i, code, a.header.Get("Retry-After"), a.header)
					}
				default:
					t.Fatalf("start %d: %d %s", i, a.status, a.body)
				}
			}
			if admitted != tt.admitted {
				t.Fatalf("admitted %d logins, want %d", admitted, tt.admitted)
			}
		})
	}
}

// TestProviderOverItsLimit: a provider refusing a push with 429 is busy,
// not a bad request: the app gets 503 provider_unavailable and may retry.
func TestProviderOverItsLimit(t *testing.T) {
	as := authservertest.New(t, func(c *authserver.Config) { c.PendingPerAddress, c.PendingTotal = 1, 1 })
	cfg := portcullisConfig(as)
	base, _ := startAgent(t, cfg)
	b := newBrowser(t, base, cfg)
	b.start()
	if a := b.post("/login/start", nil); a.status != http.StatusServiceUnavailable || a.code(t) != "provider_unavailable" {
		t.Fatalf("start with the provider over its limit: %d %s", a.status, a.body)
	}
}
