package gateway_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/agent"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/gateway"
)

const (
	cookieKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	appOrigin = "http://127.0.0.1:3000"
)

// sealCookie encrypts token for the cookie named name as the OAuth Agent
// does, written here from the published format alone:
// base64url(2 ‖ nonce ‖ AES-256-GCM(login ID ‖ token) ‖ tag), the
// associated data being 2 ‖ name.
func sealCookie(t testing.TB, keyHex, name, token string) string {
	t.Helper()
	loginID := make([]byte, 16)
	rand.Read(loginID)
	return seal(t, keyHex, 2, append(loginID, token...), append([]byte{2}, name...))
}

// legacySealCookie encrypts token in the agent's former layout, that of
// Curity's OAuth Agent: base64url(1 ‖ nonce ‖ AES-256-GCM(token) ‖ tag).
func legacySealCookie(t testing.TB, keyHex, token string) string {
	t.Helper()
	return seal(t, keyHex, 1, []byte(token), nil)
}

func seal(t testing.TB, keyHex string, version byte, plaintext, ad []byte) string {
	key, _ := hex.DecodeString(keyHex)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, _ := cipher.NewGCM(block)
	nonce := make([]byte, 12)
	rand.Read(nonce)
	out := append([]byte{version}, nonce...)
	return base64.RawURLEncoding.EncodeToString(aead.Seal(out, nonce, plaintext, ad))
}

func cookieSettings() *agent.CookieConfig {
	return &agent.CookieConfig{CookieEncryptionKey: agent.Keys{cookieKey}, TrustedWebOrigins: []string{appOrigin}}
}

// TestCookieRoutes: a route with cookies accepts the OAuth Agent's
// access-token cookie from trusted origins, with the agent's checks, and
// forwards the token as a bearer token without the agent's cookies.
func TestCookieRoutes(t *testing.T) {
	issuer := authservertest.New(t)
	up := echo(t)
	gw := start(t, issuer.URL, func(c *gateway.Config) { c.Cookies = cookieSettings() },
		gateway.Route{Path: "/users", Upstream: up.URL, Scopes: []string{"list:users"}, Cookies: true},
		gateway.Route{Path: "/bearer-only", Upstream: up.URL},
	)
	token := issuer.Token(t, "list:users")
	good := "pc-at=" + sealCookie(t, cookieKey, "pc-at", token)
	tests := []struct {
		name      string
		method    string
		path      string
		header    http.Header
		status    int
		wantError string
		clears    bool
	}{
		{name: "cookie from a trusted origin", method: "GET", path: "/users", status: 200,
			header: http.Header{"Origin": {appOrigin}, "Cookie": {"theme=dark; " + good + "; pc-id=x"}}},
		{name: "same-origin without Origin, on the app's host", method: "GET", path: "/users", status: 200,
			header: http.Header{"Sec-Fetch-Site": {"same-origin"}, "Host": {strings.TrimPrefix(appOrigin, "http://")}, "Cookie": {good}}},
		{name: "same-origin without Origin, on another host", method: "GET", path: "/users", status: 403, wantError: "untrusted_origin",
			header: http.Header{"Sec-Fetch-Site": {"same-origin"}, "Cookie": {good}}},
		{name: "POST with the CSRF header", method: "POST", path: "/users", status: 200,
			header: http.Header{"Origin": {appOrigin}, "Token-Handler-Version": {"1"}, "Cookie": {good}}},
		{name: "bearer client on a cookie route", method: "POST", path: "/users", status: 200,
			header: http.Header{"Authorization": {"Bearer " + token}}},
		{name: "bearer request that also carries the agent's cookies", method: "GET", path: "/users", status: 200,
			header: http.Header{"Authorization": {"Bearer " + token}, "Cookie": {good + "; pc-id=x"}}},
		{name: "no Origin", method: "GET", path: "/users", status: 403, wantError: "untrusted_origin",
			header: http.Header{"Cookie": {good}}},
		{name: "foreign Origin", method: "GET", path: "/users", status: 403, wantError: "untrusted_origin",
			header: http.Header{"Origin": {"https://evil.example"}, "Cookie": {good}}},
		{name: "POST without the CSRF header", method: "POST", path: "/users", status: 403, wantError: "missing_csrf_header",
			header: http.Header{"Origin": {appOrigin}, "Cookie": {good}}},
		{name: "no cookie", method: "GET", path: "/users", status: 401, wantError: "invalid_token",
			header: http.Header{"Origin": {appOrigin}}},
		{name: "tampered cookie", method: "GET", path: "/users", status: 401, wantError: "invalid_token", clears: true,
			header: http.Header{"Origin": {appOrigin}, "Cookie": {good[:40] + flipped(good[40]) + good[41:]}}},
		{name: "cookie of another key", method: "GET", path: "/users", status: 401, wantError: "invalid_token", clears: true,
			header: http.Header{"Origin": {appOrigin}, "Cookie": {"pc-at=" + sealCookie(t, strings.Repeat("ab", 32), "pc-at", token)}}},
		{name: "second access-token cookie, planted by another host of the domain", method: "GET", path: "/users", status: 403, wantError: "conflicting_cookies",
			header: http.Header{"Origin": {appOrigin}, "Cookie": {"pc-at=" + sealCookie(t, cookieKey, "pc-at", issuer.Token(t, "list:users")) + "; " + good}}},
		{name: "cookie sealed for the ID token cookie", method: "GET", path: "/users", status: 401, wantError: "invalid_token", clears: true,
			header: http.Header{"Origin": {appOrigin}, "Cookie": {"pc-at=" + sealCookie(t, cookieKey, "pc-id", token)}}},
		{name: "cookie in the legacy layout, without a transition", method: "GET", path: "/users", status: 401, wantError: "invalid_token", clears: true,
			header: http.Header{"Origin": {appOrigin}, "Cookie": {"pc-at=" + legacySealCookie(t, cookieKey, token)}}},
		{name: "cookie holding a bad token", method: "GET", path: "/users", status: 401, wantError: "invalid_token",
			header: http.Header{"Origin": {appOrigin}, "Cookie": {"pc-at=" + sealCookie(t, cookieKey, "pc-at", "not-a-token")}}},
		{name: "cookie holding a token without the scope", method: "GET", path: "/users", status: 403, wantError: "insufficient_scope",
			header: http.Header{"Origin": {appOrigin}, "Cookie": {"pc-at=" + sealCookie(t, cookieKey, "pc-at", issuer.Token(t, "read:users"))}}},
		{name: "cookie on a bearer-only route", method: "GET", path: "/bearer-only", status: 401,
			header: http.Header{"Origin": {appOrigin}, "Cookie": {good}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, tt.method, gw.URL+tt.path, "", tt.header)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if clears := strings.HasPrefix(resp.Header.Get("Set-Cookie"), "pc-at=;"); clears != tt.clears {
				t.Errorf("Set-Cookie %q", resp.Header.Values("Set-Cookie"))
			}
			if tt.path == "/users" && tt.header.Get("Origin") == appOrigin && (resp.Header.Get("Access-Control-Allow-Origin") != appOrigin || resp.Header.Get("Access-Control-Allow-Credentials") != "true") {
				t.Errorf("CORS headers %v", resp.Header)
			}
			if tt.status != 200 {
				var e struct {
					Error string `json:"error"`
				}
				if err := json.Unmarshal(body, &e); err != nil || e.Error != tt.wantError {
					t.Errorf("body %s, want error %q", body, tt.wantError)
				}
				return
			}
			var got seen
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Headers.Get("Authorization") != "Bearer "+token {
				t.Errorf("Authorization %q", got.Headers.Get("Authorization"))
			}
			if c := got.Headers.Get("Cookie"); strings.Contains(c, "pc-") || tt.name == "cookie from a trusted origin" && c != "theme=dark" {
				t.Errorf("the upstream got Cookie %q", c)
			}
		})
	}
}

// TestCookiePreflight: the gateway answers CORS preflights for cookie
// routes, for trusted origins only, and the upstream's own CORS headers do
// not reach the browser next to the gateway's.
func TestCookiePreflight(t *testing.T) {
	issuer := authservertest.New(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Write([]byte("ok"))
	}))
	t.Cleanup(up.Close)
	gw := start(t, issuer.URL, func(c *gateway.Config) { c.Cookies = cookieSettings() },
		gateway.Route{Path: "/users", Methods: []string{"GET", "DELETE"}, Upstream: up.URL, Cookies: true},
		gateway.Route{Path: "/bearer-only", Upstream: up.URL},
	)
	preflight := func(path, origin, method string) *http.Response {
		resp, _ := do(t, "OPTIONS", gw.URL+path, "", http.Header{
			"Origin": {origin}, "Access-Control-Request-Method": {method}, "Access-Control-Request-Headers": {"token-handler-version"},
		})
		return resp
	}
	if r := preflight("/users", appOrigin, "DELETE"); r.StatusCode != 204 || r.Header.Get("Access-Control-Allow-Origin") != appOrigin ||
		r.Header.Get("Access-Control-Allow-Methods") != "DELETE" || r.Header.Get("Access-Control-Allow-Headers") != "token-handler-version" {
		t.Errorf("trusted preflight: %d %v", r.StatusCode, r.Header)
	}
	if r := preflight("/users", "https://evil.example", "DELETE"); r.StatusCode != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign preflight: %d %v", r.StatusCode, r.Header)
	}
	if r := preflight("/users", appOrigin, "POST"); r.StatusCode != 405 {
		t.Errorf("preflight for a method the route refuses: %d", r.StatusCode)
	}
	if r := preflight("/bearer-only", appOrigin, "GET"); r.StatusCode != 401 || r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight on a bearer route: %d %v", r.StatusCode, r.Header)
	}
	resp, _ := do(t, "GET", gw.URL+"/users", "", http.Header{"Origin": {appOrigin}, "Cookie": {"pc-at=" + sealCookie(t, cookieKey, "pc-at", issuer.Token(t, ""))}})
	if v := resp.Header.Values("Access-Control-Allow-Origin"); resp.StatusCode != 200 || len(v) != 1 || v[0] != appOrigin {
		t.Errorf("status %d, Access-Control-Allow-Origin %q", resp.StatusCode, v)
	}
}

// TestCookieRouteSettings: the cookie route reads the cookie the agent
// writes for its settings: __Host-PREFIX-at when the origins are https,
// and during the legacy transition the former layout under the former name
// (never under the prefixed one) too; the upstream receives none of the
// agent's cookies, prefixed or not, the login cookie included.
func TestCookieRouteSettings(t *testing.T) {
	issuer := authservertest.New(t)
	up := echo(t)
	token := issuer.Token(t, "list:users")
	const httpsOrigin = "https://app.example.com"
	tests := []struct {
		name     string
		settings agent.CookieConfig
		origin   string
		cookie   string
		status   int
	}{
		{name: "https origin, __Host- name", origin: httpsOrigin, status: 200,
			settings: agent.CookieConfig{CookieEncryptionKey: agent.Keys{cookieKey}, TrustedWebOrigins: []string{httpsOrigin}},
			cookie:   "__Host-pc-at=" + sealCookie(t, cookieKey, "__Host-pc-at", token) + "; pc-at=x; __Secure-pc-id=y; __Host-pc-login=z; theme=dark"},
		{name: "https origin, cookie without the prefix", origin: httpsOrigin, status: 401,
			settings: agent.CookieConfig{CookieEncryptionKey: agent.Keys{cookieKey}, TrustedWebOrigins: []string{httpsOrigin}},
			cookie:   "pc-at=" + sealCookie(t, cookieKey, "pc-at", token)},
		{name: "legacy layout and name during the transition", origin: httpsOrigin, status: 200,
			settings: agent.CookieConfig{CookieEncryptionKey: agent.Keys{cookieKey}, TrustedWebOrigins: []string{httpsOrigin}, LegacyCookiesUntil: time.Now().Add(time.Hour)},
			cookie:   "pc-at=" + legacySealCookie(t, cookieKey, token) + "; theme=dark"},
		{name: "legacy layout under the prefixed name during the transition", origin: httpsOrigin, status: 401,
			settings: agent.CookieConfig{CookieEncryptionKey: agent.Keys{cookieKey}, TrustedWebOrigins: []string{httpsOrigin}, LegacyCookiesUntil: time.Now().Add(time.Hour)},
			cookie:   "__Host-pc-at=" + legacySealCookie(t, cookieKey, token)},
		{name: "legacy layout after the transition", origin: appOrigin, status: 401,
			settings: agent.CookieConfig{CookieEncryptionKey: agent.Keys{cookieKey}, TrustedWebOrigins: []string{appOrigin}, LegacyCookiesUntil: time.Now().Add(-time.Second)},
			cookie:   "pc-at=" + legacySealCookie(t, cookieKey, token)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := start(t, issuer.URL, func(c *gateway.Config) { c.Cookies = &tt.settings },
				gateway.Route{Path: "/users", Upstream: up.URL, Scopes: []string{"list:users"}, Cookies: true})
			resp, body := do(t, "GET", gw.URL+"/users", "", http.Header{"Origin": {tt.origin}, "Cookie": {tt.cookie}})
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status != 200 {
				return
			}
			var got seen
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if c := got.Headers.Get("Cookie"); c != "theme=dark" {
				t.Errorf("the upstream got Cookie %q", c)
			}
		})
	}
}

// flipped is a cookie character other than c, so that a tampered cookie
// always differs from the good one.
func flipped(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}
