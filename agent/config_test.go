package agent_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/portcullis/portcullis/agent"
	"github.com/portcullis/portcullis/usage"
)

func validConfig() agent.Config {
	return agent.Config{
		Listen:                "127.0.0.1:8081",
		Issuer:                "http://127.0.0.1:8080",
		ClientID:              "spa-agent",
		ClientSecret:          "secret",
		RedirectURI:           "http://127.0.0.1:3000/",
		PostLogoutRedirectURI: "http://127.0.0.1:3000/",
		Scope:                 "openid profile email offline_access read:users",
		TrustedWebOrigins:     []string{"http://127.0.0.1:3000"},
		CookieEncryptionKey:   agent.Keys{testKey},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		change   func(*agent.Config)
		wantKeys []string // empty: valid
	}{
		{name: "valid", change: func(*agent.Config) {}},
		{name: "valid with zero values", change: func(c *agent.Config) {
			c.BasePath, c.Scope, c.CookiePrefix, c.PostLogoutRedirectURI = "", "", "", ""
		}},
		{name: "valid https with rotation", change: func(c *agent.Config) {
			c.Issuer, c.RedirectURI = "https://login.example.com/realms/main/", "https://app.example.com/callback"
			c.TrustedWebOrigins = []string{"https://app.example.com", "http://localhost:3000"}
			c.CookieEncryptionKey = agent.Keys{otherKey, testKey}
			c.BasePath, c.CookiePrefix = "/api/oauth-agent", "example_app"
		}},
		{name: "no listen", change: func(c *agent.Config) { c.Listen = "" }, wantKeys: []string{"oauth_agent.listen"}},
		{name: "negative login starts", change: func(c *agent.Config) { c.LoginStartsPerMinute = -1 }, wantKeys: []string{"oauth_agent.login_starts_per_minute"}},
		{name: "login start limit without a period", change: func(c *agent.Config) { c.LoginStartLimit = usage.Limit{Rate: 5} }, wantKeys: []string{"oauth_agent.login_start_limit.period"}},
		{name: "base path with trailing slash", change: func(c *agent.Config) { c.BasePath = "/oauth-agent/" }, wantKeys: []string{"oauth_agent.base_path"}},
		{name: "relative base path", change: func(c *agent.Config) { c.BasePath = "oauth-agent" }, wantKeys: []string{"oauth_agent.base_path"}},
		{name: "base path with a semicolon", change: func(c *agent.Config) { c.BasePath = "/a;b" }, wantKeys: []string{"oauth_agent.base_path"}},
		{name: "no issuer", change: func(c *agent.Config) { c.Issuer = "" }, wantKeys: []string{"oauth_agent.issuer"}},
		{name: "plain http issuer off loopback", change: func(c *agent.Config) { c.Issuer = "http://login.example.com" }, wantKeys: []string{"oauth_agent.issuer"}},
		{name: "issuer with query", change: func(c *agent.Config) { c.Issuer = "https://login.example.com/?tenant=1" }, wantKeys: []string{"oauth_agent.issuer"}},
		{name: "no client", change: func(c *agent.Config) { c.ClientID, c.ClientSecret = "", "" }, wantKeys: []string{"oauth_agent.client_id", "oauth_agent.client_secret"}},
		{name: "redirect URI with fragment", change: func(c *agent.Config) { c.RedirectURI = "http://127.0.0.1:3000/#x" }, wantKeys: []string{"oauth_agent.redirect_uri"}},
		{name: "redirect URI off the trusted origins", change: func(c *agent.Config) { c.RedirectURI = "http://127.0.0.1:4000/" }, wantKeys: []string{"oauth_agent.redirect_uri"}},
		{name: "post-logout URI not a URL", change: func(c *agent.Config) { c.PostLogoutRedirectURI = "/bye" }, wantKeys: []string{"oauth_agent.post_logout_redirect_uri"}},
		{name: "scope without openid", change: func(c *agent.Config) { c.Scope = "profile email" }, wantKeys: []string{"oauth_agent.scope"}},
		{name: "scope with a quote", change: func(c *agent.Config) { c.Scope = `openid "x"` }, wantKeys: []string{"oauth_agent.scope"}},
		{name: "no trusted origins", change: func(c *agent.Config) { c.TrustedWebOrigins = nil }, wantKeys: []string{"oauth_agent.redirect_uri", "oauth_agent.trusted_web_origins"}},
		{name: "origin with a path", change: func(c *agent.Config) { c.TrustedWebOrigins = append(c.TrustedWebOrigins, "https://app.example.com/") }, wantKeys: []string{"oauth_agent.trusted_web_origins[1]"}},
		{name: "origin in upper case", change: func(c *agent.Config) { c.TrustedWebOrigins = append(c.TrustedWebOrigins, "https://App.example.com") }, wantKeys: []string{"oauth_agent.trusted_web_origins[1]"}},
		{name: "plain http origin off loopback", change: func(c *agent.Config) { c.TrustedWebOrigins = append(c.TrustedWebOrigins, "http://app.example.com") }, wantKeys: []string{"oauth_agent.trusted_web_origins[1]"}},
		{name: "cookie prefix with a space", change: func(c *agent.Config) { c.CookiePrefix = "my app" }, wantKeys: []string{"oauth_agent.cookie_prefix"}},
		{name: "cookie prefix __Host-", change: func(c *agent.Config) { c.CookiePrefix = "__Host-pc" }, wantKeys: []string{"oauth_agent.cookie_prefix"}},
		{name: "origin with its default port", change: func(c *agent.Config) {
			c.TrustedWebOrigins = append(c.TrustedWebOrigins, "https://app.example.com:443")
		}, wantKeys: []string{"oauth_agent.trusted_web_origins[1]"}},
		{name: "no cookie key", change: func(c *agent.Config) { c.CookieEncryptionKey = nil }, wantKeys: []string{"oauth_agent.cookie_encryption_key"}},
		{name: "empty cookie key", change: func(c *agent.Config) { c.CookieEncryptionKey = agent.Keys{""} }, wantKeys: []string{"oauth_agent.cookie_encryption_key"}},
		{name: "AES-128 cookie key", change: func(c *agent.Config) { c.CookieEncryptionKey = agent.Keys{testKey[:32]} }, wantKeys: []string{"oauth_agent.cookie_encryption_key"}},
		{name: "legacy transition", change: func(c *agent.Config) { c.LegacyCookiesUntil = time.Now().Add(7 * 24 * time.Hour) }},
		{name: "legacy transition over", change: func(c *agent.Config) { c.LegacyCookiesUntil = time.Now().Add(-time.Hour) }},
		{name: "legacy transition too long", change: func(c *agent.Config) {
			c.LegacyCookiesUntil = time.Now().Add(agent.MaxLegacyTransition + time.Hour)
		}, wantKeys: []string{"oauth_agent.legacy_cookies_until"}},
		{name: "second key not hex", change: func(c *agent.Config) { c.CookieEncryptionKey = agent.Keys{testKey, "z" + testKey[1:]} }, wantKeys: []string{"oauth_agent.cookie_encryption_key[1]"}},
		{name: "dpop", change: func(c *agent.Config) { c.DPoP, c.DPoPKeys = true, agent.Keys{dpopSecret} }},
		{name: "dpop with rotation", change: func(c *agent.Config) { c.DPoP, c.DPoPKeys = true, agent.Keys{otherDPoPSecret, dpopSecret} }},
		{name: "dpop without keys", change: func(c *agent.Config) { c.DPoP = true }, wantKeys: []string{"oauth_agent.dpop_keys"}},
		{name: "dpop keys without dpop", change: func(c *agent.Config) { c.DPoPKeys = agent.Keys{dpopSecret} }, wantKeys: []string{"oauth_agent.dpop_keys"}},
		{name: "empty dpop key", change: func(c *agent.Config) { c.DPoP, c.DPoPKeys = true, agent.Keys{""} }, wantKeys: []string{"oauth_agent.dpop_keys"}},
		{name: "second dpop key too short", change: func(c *agent.Config) { c.DPoP, c.DPoPKeys = true, agent.Keys{dpopSecret, dpopSecret[:32]} }, wantKeys: []string{"oauth_agent.dpop_keys[1]"}},
		{name: "dpop key that is a cookie key", change: func(c *agent.Config) {
			c.CookieEncryptionKey = agent.Keys{otherKey, testKey}
			c.DPoP, c.DPoPKeys = true, agent.Keys{dpopSecret, testKey}
		}, wantKeys: []string{"oauth_agent.dpop_keys[1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.change(&c)
			if got := configKeys(t, c.Validate()); !slices.Equal(got, tt.wantKeys) {
				t.Errorf("Validate named %q, want %q; error: %v", got, tt.wantKeys, c.Validate())
			}
		})
	}
}

// configKeys returns the keys a Validate error names.
func configKeys(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var keys []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *agent.ConfigError
		if !errors.As(e, &ce) {
			t.Fatalf("%v is not a *ConfigError", e)
		}
		keys = append(keys, ce.Key)
	}
	return keys
}

// TestValidateNeverQuotesKeys: a wrong key is a secret all the same.
func TestValidateNeverQuotesKeys(t *testing.T) {
	c := validConfig()
	secret := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeZ"
	c.CookieEncryptionKey = agent.Keys{secret}
	if err := c.Validate(); err == nil || strings.Contains(err.Error(), secret[:16]) {
		t.Errorf("error %v", err)
	}
	c.CookieEncryptionKey = agent.Keys{testKey}
	c.DPoP, c.DPoPKeys = true, agent.Keys{secret}
	if err := c.Validate(); err == nil || strings.Contains(err.Error(), secret[:16]) {
		t.Errorf("dpop key: error %v", err)
	}
	c.DPoPKeys = agent.Keys{testKey}
	if err := c.Validate(); err == nil || strings.Contains(err.Error(), testKey[:16]) {
		t.Errorf("dpop key equal to the cookie key: error %v", err)
	}
}

func TestCookieConfigValidate(t *testing.T) {
	c := validConfig().Cookies()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	c.CookieEncryptionKey, c.TrustedWebOrigins, c.DPoP = nil, []string{"*"}, true
	if got, want := configKeys(t, c.Validate()), []string{"cookie_encryption_key", "dpop_keys", "trusted_web_origins[0]"}; !slices.Equal(got, want) {
		t.Errorf("keys %q, want %q", got, want)
	}
}

// TestDPoPYAML: dpop and dpop_keys read like the cookie key, and the
// gateway gets them from the agent's section through Cookies.
func TestDPoPYAML(t *testing.T) {
	var c agent.Config
	if err := yaml.Unmarshal([]byte("dpop: true\ndpop_keys: ["+otherDPoPSecret+", "+dpopSecret+"]"), &c); err != nil {
		t.Fatal(err)
	}
	want := agent.Keys{otherDPoPSecret, dpopSecret}
	if !c.DPoP || !slices.Equal(c.DPoPKeys, want) {
		t.Errorf("dpop %v, keys %q", c.DPoP, c.DPoPKeys)
	}
	if ck := c.Cookies(); !ck.DPoP || !slices.Equal(ck.DPoPKeys, want) {
		t.Error("Cookies() drops dpop or dpop_keys")
	}
	var ck agent.CookieConfig
	if err := yaml.Unmarshal([]byte("dpop: true\ndpop_keys: "+dpopSecret), &ck); err != nil || !ck.DPoP || !slices.Equal(ck.DPoPKeys, agent.Keys{dpopSecret}) {
		t.Errorf("cookie settings: %+v, %v", ck, err)
	}
}

// TestKeysYAML: the cookie key is a string, or a list for rotation.
func TestKeysYAML(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want agent.Keys
	}{
		{name: "one key", doc: "cookie_encryption_key: " + testKey, want: agent.Keys{testKey}},
		{name: "a key of digits only", doc: "cookie_encryption_key: " + "1234567890123456789012345678901234567890123456789012345678901234", want: agent.Keys{"1234567890123456789012345678901234567890123456789012345678901234"}},
		{name: "a list", doc: "cookie_encryption_key: [" + otherKey + ", " + testKey + "]", want: agent.Keys{otherKey, testKey}},
		{name: "a block list", doc: "cookie_encryption_key:\n  - " + testKey + "\n", want: agent.Keys{testKey}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c agent.Config
			if err := yaml.Unmarshal([]byte(tt.doc), &c); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.CookieEncryptionKey, tt.want) {
				t.Errorf("got %q", c.CookieEncryptionKey)
			}
		})
	}
	var c agent.Config
	if err := yaml.Unmarshal([]byte("cookie_encryption_key: {a: b}"), &c); err == nil {
		t.Error("a mapping was accepted as keys")
	}
}

// TestLegacyCookiesUntilYAML: the end of the transition is an RFC 3339
// time, in the agent's section and in the cookie settings.
func TestLegacyCookiesUntilYAML(t *testing.T) {
	want := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	var c agent.Config
	if err := yaml.Unmarshal([]byte("legacy_cookies_until: 2026-08-01T00:00:00Z"), &c); err != nil || !c.LegacyCookiesUntil.Equal(want) {
		t.Errorf("%v, %v", c.LegacyCookiesUntil, err)
	}
	if !c.Cookies().LegacyCookiesUntil.Equal(want) {
		t.Error("Cookies() drops legacy_cookies_until")
	}
}
