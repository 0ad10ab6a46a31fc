package gateway_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/portcullis/portcullis/gateway"
	"github.com/portcullis/portcullis/guard/guardtest"
)

// TestStepUpRoutes: a route with acr_values and max_age (RFC 9470) lets
// through a recent sign-in with a second factor only, and refuses others
// with the challenge, whose acr_values and max_age the JSON body repeats,
// for bearer requests and, through a cookie route, for a single-page app
// on a trusted origin, which reads the body (CORS exposes it).
func TestStepUpRoutes(t *testing.T) {
	issuer := guardtest.NewIssuer()
	t.Cleanup(issuer.Close)
	up := echo(t)
	gw := start(t, issuer.URL, func(c *gateway.Config) {
		c.Audience = guardtest.Audience
		c.Cookies = cookieSettings()
	},
		gateway.Route{Path: "/users", Methods: []string{"GET"}, Upstream: up.URL, Scopes: []string{"list:users"}, Cookies: true},
		gateway.Route{Path: "/users", Methods: []string{"DELETE"}, Upstream: up.URL, Scopes: []string{"write:users"}, Cookies: true,
			ACRValues: []string{"mfa", "phr"}, MaxAge: 5 * time.Minute},
	)
	now := time.Now()
	token := func(acr string, amr []string, authTime time.Time) string {
		return issuer.Sign(nil, guardtest.SignedIn(issuer.Claims("list:users write:users"), acr, amr, authTime))
	}
	password := token("sfa", []string{"pwd"}, now)
	const challenge = `Bearer realm="https://api.example.com", error="insufficient_user_authentication", error_description="`
	const wants = `", acr_values="mfa phr", max_age="300"`
	tests := []struct {
		name      string
		method    string
		token     string
		cookie    bool
		challenge string // empty: forwarded
	}{
		{name: "a route without step-up takes a password", method: "GET", token: password},
		{name: "mfa", method: "DELETE", token: token("mfa", []string{"pwd", "otp", "mfa"}, now)},
		{name: "phr by cookie", method: "DELETE", token: token("phr", []string{"hwk", "user", "mfa"}, now), cookie: true},
		{name: "password", method: "DELETE", token: password, challenge: challenge + "a stronger sign-in is required" + wants},
		{name: "password by cookie", method: "DELETE", token: password, cookie: true, challenge: challenge + "a stronger sign-in is required" + wants},
		{name: "client credentials", method: "DELETE", token: issuer.Token("write:users"), challenge: challenge + "a stronger sign-in is required" + wants},
		{name: "mfa an hour ago", method: "DELETE", token: token("mfa", []string{"pwd", "otp", "mfa"}, now.Add(-time.Hour)),
			challenge: challenge + "a more recent sign-in is required" + wants},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header, bearer := http.Header{}, tt.token
			if tt.cookie {
				header.Set("Origin", appOrigin)
				header.Set("Token-Handler-Version", "1")
				header.Set("Cookie", "pc-at="+sealCookie(t, cookieKey, "pc-at", tt.token))
				bearer = ""
			}
			resp, body := do(t, tt.method, gw.URL+"/users/7", bearer, header)
			if tt.challenge == "" {
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d, want 200: %s", resp.StatusCode, body)
				}
				return
			}
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != tt.challenge {
				t.Fatalf("status %d, WWW-Authenticate\n got %s\nwant %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), tt.challenge)
			}
			var e struct {
				Error     string `json:"error"`
				ACRValues string `json:"acr_values"`
				MaxAge    int    `json:"max_age"`
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Error != "insufficient_user_authentication" || e.ACRValues != "mfa phr" || e.MaxAge != 300 {
				t.Fatalf("body %s", body)
			}
			if tt.cookie && resp.Header.Get("Access-Control-Allow-Origin") != appOrigin {
				t.Fatalf("a cookie route's refusal is not readable by the app: %v", resp.Header)
			}
		})
	}
}
