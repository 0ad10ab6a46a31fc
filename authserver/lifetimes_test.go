package authserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// TestAccessTokenLifetimes: the deployment's access token lifetime is
// shortened by the API's and by the client's, and a token for several
// APIs lives as long as the shortest allows; expires_in says the same as
// exp - iat. The client is a stored one.
func TestAccessTokenLifetimes(t *testing.T) {
	const short, long = "https://short.example.com", "https://long.example.com"
	as := authservertest.New(t, func(c *authserver.Config) {
		c.AccessTokenTTL = 30 * time.Minute
		c.APIs = append(c.APIs,
			authserver.API{Identifier: short, Scopes: []string{"short"}, AccessTokenTTL: 5 * time.Minute},
			authserver.API{Identifier: long, Scopes: []string{"long"}, AccessTokenTTL: 20 * time.Minute})
	})
	tests := []struct {
		name      string
		clientTTL time.Duration
		resources []string
		want      time.Duration
	}{
		{"API without its own: the deployment's", 0, []string{authservertest.API}, 30 * time.Minute},
		{"API's own", 0, []string{long}, 20 * time.Minute},
		{"client's cap below the API's", 10 * time.Minute, []string{long}, 10 * time.Minute},
		{"client's cap above the API's", 10 * time.Minute, []string{short}, 5 * time.Minute},
		{"two APIs: the shortest", 0, []string{long, short}, 5 * time.Minute},
		{"client's cap, no API of its own", 10 * time.Minute, []string{authservertest.API}, 10 * time.Minute},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "lifetimes-" + string(rune('a'+i))
			secret := storedClient(t, as.Store, id, func(c *store.Client) {
				c.AccessTokenTTL, c.DefaultAudience = tt.clientTTL, store.AudienceAll
			}, "short", "long", "list:users")
			status, body := postForm(t, as.URL+"/token", url.Values{"grant_type": {"client_credentials"}, "resource": tt.resources}, basic(id, secret))
			if status != http.StatusOK {
				t.Fatalf("token: %d %v", status, body)
			}
			c := verify(t, as.URL, body["access_token"].(string))
			if got := c.Expiry.Time().Sub(c.IssuedAt.Time()); got != tt.want || body["expires_in"] != tt.want.Seconds() {
				t.Fatalf("exp - iat = %v, expires_in = %v; want %v", got, body["expires_in"], tt.want)
			}
		})
	}
}

// TestUserTokenLifetimes: a client's caps on its access and ID tokens, and
// its own refresh token lifetimes, apply to the tokens of the
// authorization code and refresh grants.
func TestUserTokenLifetimes(t *testing.T) {
	clk := &clock{t: time.Now()}
	as := authservertest.New(t, func(c *authserver.Config) {
		c.Now = clk.Now
		web := &c.Clients[1]
		web.AccessTokenTTL, web.IDTokenTTL = 7*time.Minute, 3*time.Minute
		web.RefreshIdleTTL, web.RefreshMaxTTL = time.Hour, 90*time.Minute
	})
	_, _, tok := signedIn(t, as, "openid", "offline_access", "read:users")
	c := verify(t, as.URL, tok.AccessToken)
	if got := c.Expiry.Time().Sub(c.IssuedAt.Time()); got != 7*time.Minute {
		t.Fatalf("access token lifetime %v, want the client's 7m", got)
	}
	if got := idTokenLifetime(t, tok.Extra("id_token").(string)); got != 3*time.Minute {
		t.Fatalf("ID token lifetime %v, want the client's 3m", got)
	}
	// Idle for 50 minutes, within the client's hour: the refresh works,
	// and its successor lives until the family's 90 minutes end.
	clk.Add(50 * time.Minute)
	status, body := refreshed(t, as, tok.RefreshToken, nil)
	if status != http.StatusOK || body["expires_in"] != float64(420) {
		t.Fatalf("refresh after 50m: %d %v", status, body)
	}
	// 45 minutes later the family (90m) has ended, though the successor
	// was idle for less than its hour.
	clk.Add(45 * time.Minute)
	if status, body := refreshed(t, as, body["refresh_token"].(string), nil); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("refresh after the client's family lifetime: %d %v", status, body)
	}

	// Idle past the client's hour: refused, though the deployment's 14
	// days would allow it.
	_, _, tok = signedIn(t, as, "openid", "offline_access")
	clk.Add(61 * time.Minute)
	if status, body := refreshed(t, as, tok.RefreshToken, nil); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("refresh idle past the client's hour: %d %v", status, body)
	}
}

// idTokenLifetime is exp - iat of an ID token, read without verification
// (the sign-in tests verify ID tokens).
func idTokenLifetime(t *testing.T, raw string) time.Duration {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		t.Fatal(err)
	}
	return c.Expiry.Time().Sub(c.IssuedAt.Time())
}

// TestPreviousSecret: after a rotation with an overlap, the previous
// secret is accepted until the overlap ends and refused after; the new
// one throughout; a wrong one never.
func TestPreviousSecret(t *testing.T) {
	clk := &clock{t: time.Now()}
	as := authservertest.New(t, func(c *authserver.Config) { c.Now = clk.Now })
	oldSecret, oldHash := authserver.NewSecret()
	newSecret := storedClient(t, as.Store, "rotated", func(c *store.Client) {
		c.PreviousSecretHash, c.PreviousSecretExpiresAt = oldHash, clk.Now().Add(time.Hour)
	}, "list:users")
	tests := []struct {
		name   string
		after  time.Duration // since the rotation
		secret string
		want   int
	}{
		{"new secret during the overlap", 0, newSecret, http.StatusOK},
		{"previous secret during the overlap", 0, oldSecret, http.StatusOK},
		{"previous secret just before the overlap ends", time.Hour - time.Second, oldSecret, http.StatusOK},
		{"wrong secret during the overlap", 0, strings.Repeat("x", 43), http.StatusUnauthorized},
		{"previous secret once the overlap ended", time.Hour, oldSecret, http.StatusUnauthorized},
		{"new secret once the overlap ended", time.Hour, newSecret, http.StatusOK},
	}
	start := clk.Now()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.mu.Lock()
			clk.t = start.Add(tt.after)
			clk.mu.Unlock()
			status, body := ccToken(t, as.URL, "rotated", tt.secret, "")
			if status != tt.want {
				t.Fatalf("%d %v, want %d", status, body, tt.want)
			}
			if tt.want == http.StatusUnauthorized && body["error"] != "invalid_client" {
				t.Fatalf("refusal %v, want invalid_client", body)
			}
		})
	}
}

// TestStoredClientRateLimit: a stored client's own rate limit replaces
// the deployment's token limit, as a file client's does; {rate: 0}
// exempts it.
func TestStoredClientRateLimit(t *testing.T) {
	as := authservertest.New(t, func(c *authserver.Config) {
		c.RateLimits.Token = usage.Limit{Rate: 3, Period: time.Minute, Burst: 3}
	})
	tests := []struct {
		name    string
		own     *store.RateLimit
		allowed int
	}{
		{"own limit", &store.RateLimit{Rate: 1, Period: time.Minute, Burst: 1}, 1},
		{"deployment's limit", nil, 3},
		{"exempt", &store.RateLimit{}, 6},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "limited-" + string(rune('a'+i))
			secret := storedClient(t, as.Store, id, func(c *store.Client) { c.RateLimit = tt.own }, "list:users")
			granted := 0
			for range 6 {
				switch status, body := ccToken(t, as.URL, id, secret, ""); status {
				case http.StatusOK:
					granted++
				case http.StatusTooManyRequests:
				default:
					t.Fatalf("token: %d %v", status, body)
				}
			}
			if granted != tt.allowed {
				t.Fatalf("%d of 6 requests granted, want %d", granted, tt.allowed)
			}
		})
	}
}
