package gateway

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/agent"
	"github.com/portcullis/portcullis/usage"
)

func validConfig() Config {
	return Config{
		Listen:   "127.0.0.1:8082",
		Issuer:   "http://127.0.0.1:8080",
		Audience: "https://api.example.com",
		Routes: []Route{
			{Path: "/users", Methods: []string{"GET"}, Upstream: "http://127.0.0.1:9000", Scopes: []string{"list:users"}},
			{Path: "/users", Methods: []string{"POST"}, Upstream: "http://127.0.0.1:9000", Scopes: []string{"write:users"}},
		},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*Config)
		wantKey string // empty: valid
	}{
		{name: "valid", change: func(*Config) {}},
		{name: "valid with everything", change: func(c *Config) {
			c.Algorithms = []string{"ES256", "EdDSA"}
			c.Leeway, c.UpstreamTimeout = time.Second, time.Minute
			c.IdentityHeaders = IdentityHeaders{Subject: "X-User", ClientID: "X-Client", Scope: "X-Scope"}
		}},
		{name: "public URL", change: func(c *Config) { c.PublicURL = "https://api.example.com" }},
		{name: "public URL with a slash", change: func(c *Config) { c.PublicURL = "https://api.example.com/" }},
		{name: "public URL not http", change: func(c *Config) { c.PublicURL = "ftp://api.example.com" }, wantKey: "gateway.public_url"},
		{name: "public URL with a path", change: func(c *Config) { c.PublicURL = "https://example.com/api" }, wantKey: "gateway.public_url"},
		{name: "no listen", change: func(c *Config) { c.Listen = "" }, wantKey: "gateway.listen"},
		{name: "listen without port", change: func(c *Config) { c.Listen = "127.0.0.1" }, wantKey: "gateway.listen"},
		{name: "no issuer", change: func(c *Config) { c.Issuer = "" }, wantKey: "gateway.issuer"},
		{name: "issuer not a URL", change: func(c *Config) { c.Issuer = "portcullis" }, wantKey: "gateway.issuer"},
		{name: "no audience", change: func(c *Config) { c.Audience = "" }, wantKey: "gateway.audience"},
		{name: "HS256", change: func(c *Config) { c.Algorithms = []string{"ES256", "HS256"} }, wantKey: "gateway.algorithms[1]"},
		{name: "negative leeway", change: func(c *Config) { c.Leeway = -time.Second }, wantKey: "gateway.leeway"},
		{name: "negative timeout", change: func(c *Config) { c.UpstreamTimeout = -time.Second }, wantKey: "gateway.upstream_timeout"},
		{name: "identity header with a space", change: func(c *Config) { c.IdentityHeaders.Subject = "X User" }, wantKey: "gateway.identity_headers.subject"},
		{name: "identity header Authorization", change: func(c *Config) { c.IdentityHeaders.ClientID = "authorization" }, wantKey: "gateway.identity_headers.client_id"},
		{name: "identity header a method override", change: func(c *Config) { c.IdentityHeaders.Scope = "X-HTTP-Method-Override" }, wantKey: "gateway.identity_headers.scope"},
		{name: "identity headers folding together", change: func(c *Config) {
			c.IdentityHeaders.Subject, c.IdentityHeaders.Scope = "X-Who", "x_who"
		}, wantKey: "gateway.identity_headers"},
		{name: "no routes", change: func(c *Config) { c.Routes = nil }, wantKey: "gateway.routes"},
		{name: "rate limits", change: func(c *Config) {
			c.Routes[0].RateLimit = usage.Limit{Rate: 100, Period: time.Minute, Burst: 20}
			c.Routes[0].RateLimitPerAddress = usage.Limit{Rate: 1000, Period: time.Hour}
		}},
		{name: "rate limit without a period", change: func(c *Config) { c.Routes[0].RateLimit = usage.Limit{Rate: 100} }, wantKey: "gateway.routes[0].rate_limit.period"},
		{name: "rate limit per address, negative burst", change: func(c *Config) {
			c.Routes[0].RateLimitPerAddress = usage.Limit{Rate: 100, Period: time.Minute, Burst: -1}
		}, wantKey: "gateway.routes[0].rate_limit_per_address.burst"},
		{name: "relative path", change: func(c *Config) { c.Routes[0].Path = "users" }, wantKey: "gateway.routes[0].path"},
		{name: "path with trailing slash", change: func(c *Config) { c.Routes[0].Path = "/users/" }, wantKey: "gateway.routes[0].path"},
		{name: "path with dot segment", change: func(c *Config) { c.Routes[0].Path = "/a/../users" }, wantKey: "gateway.routes[0].path"},
		{name: "path with a parameter", change: func(c *Config) { c.Routes[0].Path = "/users;v=1" }, wantKey: "gateway.routes[0].path"},
		{name: "path with a backslash", change: func(c *Config) { c.Routes[0].Path = `/users\admin` }, wantKey: "gateway.routes[0].path"},
		{name: "path with UTF-8", change: func(c *Config) { c.Routes[0].Path = "/café" }},
		// No request could reach it: requests with encoded spaces are refused.
		{name: "path with a space", change: func(c *Config) { c.Routes[0].Path = "/user list" }, wantKey: "gateway.routes[0].path"},
		{name: "lower-case method", change: func(c *Config) { c.Routes[1].Methods = []string{"post"} }, wantKey: "gateway.routes[1].methods[0]"},
		{name: "no upstream", change: func(c *Config) { c.Routes[1].Upstream = "" }, wantKey: "gateway.routes[1].upstream"},
		{name: "upstream with query", change: func(c *Config) { c.Routes[1].Upstream = "http://127.0.0.1:9000/?a=b" }, wantKey: "gateway.routes[1].upstream"},
		{name: "bad scope", change: func(c *Config) { c.Routes[0].Scopes = []string{"list users"} }, wantKey: "gateway.routes[0].scopes[0]"},
		{name: "step-up", change: func(c *Config) {
			c.Routes[1].ACRValues, c.Routes[1].MaxAge = []string{"mfa", "phr"}, 5*time.Minute
		}},
		{name: "step-up, max age only", change: func(c *Config) { c.Routes[1].MaxAge = time.Hour }},
		{name: "acr value with a space", change: func(c *Config) { c.Routes[1].ACRValues = []string{"mfa", "mfa phr"} }, wantKey: "gateway.routes[1].acr_values[1]"},
		{name: "empty acr value", change: func(c *Config) { c.Routes[1].ACRValues = []string{""} }, wantKey: "gateway.routes[1].acr_values[0]"},
		{name: "acr value with a quote", change: func(c *Config) { c.Routes[1].ACRValues = []string{`"mfa"`} }, wantKey: "gateway.routes[1].acr_values[0]"},
		{name: "negative max age", change: func(c *Config) { c.Routes[1].MaxAge = -time.Minute }, wantKey: "gateway.routes[1].max_age"},
		{name: "max age not whole seconds", change: func(c *Config) { c.Routes[1].MaxAge = 1500 * time.Millisecond }, wantKey: "gateway.routes[1].max_age"},
		{name: "duplicate route", change: func(c *Config) { c.Routes[1].Methods = []string{"GET", "PUT"} }, wantKey: "gateway.routes[1]"},
		{name: "duplicate route, all methods", change: func(c *Config) { c.Routes[1].Methods = nil }, wantKey: "gateway.routes[1]"},
		{name: "duplicate route, other case", change: func(c *Config) { c.Routes[1].Path, c.Routes[1].Methods = "/USERS", []string{"GET"} }, wantKey: "gateway.routes[1]"},
		{name: "dpop required with a public URL", change: func(c *Config) {
			c.PublicURL, c.Routes[0].DPoP, c.Routes[1].DPoP = "https://api.example.com", "required", "off"
		}},
		{name: "dpop allowed without a public URL", change: func(c *Config) { c.Routes[0].DPoP = "allowed" }},
		{name: "dpop required without a public URL", change: func(c *Config) { c.Routes[1].DPoP = "required" }, wantKey: "gateway.routes[1].dpop"},
		{name: "dpop in upper case", change: func(c *Config) { c.Routes[0].DPoP = "Required" }, wantKey: "gateway.routes[0].dpop"},
		{name: "dpop true", change: func(c *Config) { c.Routes[0].DPoP = "true" }, wantKey: "gateway.routes[0].dpop"},
		{name: "dpop nonce key", change: func(c *Config) { c.DPoPNonceKey = strings.Repeat("0f", 32) }},
		{name: "dpop nonce key too short", change: func(c *Config) { c.DPoPNonceKey = strings.Repeat("0f", 16) }, wantKey: "gateway.dpop_nonce_key"},
		{name: "dpop nonce key not hex", change: func(c *Config) { c.DPoPNonceKey = strings.Repeat("zz", 32) }, wantKey: "gateway.dpop_nonce_key"},
		{name: "valid cookie route", change: func(c *Config) {
			c.Routes[0].Cookies = true
			c.Cookies = &agent.CookieConfig{CookieEncryptionKey: agent.Keys{strings.Repeat("0f", 32)}, TrustedWebOrigins: []string{"https://app.example.com"}}
		}},
		{name: "cookie route of a DPoP agent with dpop off", change: func(c *Config) {
			c.PublicURL, c.Routes[0].Cookies, c.Routes[0].DPoP = "https://api.example.com", true, "off"
			c.Cookies = &agent.CookieConfig{CookieEncryptionKey: agent.Keys{strings.Repeat("0f", 32)}, TrustedWebOrigins: []string{"https://app.example.com"},
				DPoP: true, DPoPKeys: agent.Keys{strings.Repeat("1e", 32)}}
		}, wantKey: "gateway.routes[0].dpop"},
		{name: "cookie route of a DPoP agent with dpop required", change: func(c *Config) {
			c.PublicURL, c.Routes[0].Cookies, c.Routes[0].DPoP = "https://api.example.com", true, "required"
			c.Cookies = &agent.CookieConfig{CookieEncryptionKey: agent.Keys{strings.Repeat("0f", 32)}, TrustedWebOrigins: []string{"https://app.example.com"},
				DPoP: true, DPoPKeys: agent.Keys{strings.Repeat("1e", 32)}}
		}},
		{name: "cookie route of a bearer agent with dpop required", change: func(c *Config) {
			c.PublicURL, c.Routes[0].Cookies, c.Routes[0].DPoP = "https://api.example.com", true, "required"
			c.Cookies = &agent.CookieConfig{CookieEncryptionKey: agent.Keys{strings.Repeat("0f", 32)}, TrustedWebOrigins: []string{"https://app.example.com"}}
		}, wantKey: "gateway.routes[0].dpop"},
		{name: "cookie route of a bearer agent with dpop off", change: func(c *Config) {
			c.Routes[0].Cookies, c.Routes[0].DPoP = true, "off"
			c.Cookies = &agent.CookieConfig{CookieEncryptionKey: agent.Keys{strings.Repeat("0f", 32)}, TrustedWebOrigins: []string{"https://app.example.com"}}
		}},
		{name: "cookie route without cookie settings", change: func(c *Config) { c.Routes[1].Cookies = true }, wantKey: "gateway.routes[1].cookies"},
		{name: "cookie settings without a key", change: func(c *Config) {
			c.Cookies = &agent.CookieConfig{TrustedWebOrigins: []string{"https://app.example.com"}}
		}, wantKey: "gateway.cookies.cookie_encryption_key"},
		{name: "cookie settings with a bad origin", change: func(c *Config) {
			c.Cookies = &agent.CookieConfig{CookieEncryptionKey: agent.Keys{strings.Repeat("0f", 32)}, TrustedWebOrigins: []string{"https://app.example.com/"}}
		}, wantKey: "gateway.cookies.trusted_web_origins[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.change(&c)
			err := c.Validate()
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted it, want an error at %s", tt.wantKey)
			}
			var keys []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var ce *ConfigError
				if !errors.As(e, &ce) {
					t.Fatalf("%v is not a *ConfigError", e)
				}
				keys = append(keys, ce.Key)
			}
			if len(keys) != 1 || keys[0] != tt.wantKey {
				t.Errorf("Validate named %q, want [%s]; error: %v", keys, tt.wantKey, err)
			}
		})
	}
}
