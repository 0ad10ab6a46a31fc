package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/usage"
)

// Registration is limited per client address: every POST /register counts,
// whatever its initial access token, and at a configuration endpoint only
// the refused requests do. Over the limit the address gets 429
// temporarily_unavailable with Retry-After and the RateLimit headers, even
// with a good token; another address is not held back.
func TestRegisterRateLimit(t *testing.T) {
	e := newEnv(t, envOptions{registration: true, registerLimit: usage.PerMinute(3)})
	tok := e.token(t, "admin", "")
	body := map[string]any{"grant_types": []string{"client_credentials"}}
	from := func(addr string) map[string]string { return map[string]string{"X-Forwarded-For": addr} }
	limited := func(t *testing.T, a answer) {
		t.Helper()
		if a.status != http.StatusTooManyRequests || oauthError(t, a) != "temporarily_unavailable" {
			t.Fatalf("%d %s, want 429 temporarily_unavailable", a.status, a.body)
		}
		if a.header.Get("Retry-After") == "" || !strings.HasPrefix(a.header.Get("RateLimit"), `"register";`) ||
			a.header.Get("RateLimit-Policy") != `"register";q=3;w=60` {
			t.Errorf("headers %v", a.header)
		}
	}

	t.Run("registrations", func(t *testing.T) {
		const addr = "203.0.113.1"
		steps := []struct {
			name  string
			token string
			want  int
		}{
			{"good token", tok, http.StatusCreated},
			{"wrong token", "not-a-token", http.StatusUnauthorized},
			{"wrong token again", "not-a-token", http.StatusUnauthorized},
		}
		for _, s := range steps {
			if a := e.do(t, call{method: "POST", path: admin.RegisterPath, token: s.token, body: body, header: from(addr)}); a.status != s.want {
				t.Fatalf("%s: %d %s, want %d", s.name, a.status, a.body, s.want)
			}
		}
		limited(t, e.do(t, call{method: "POST", path: admin.RegisterPath, token: tok, body: body, header: from(addr)}))
		if a := e.do(t, call{method: "POST", path: admin.RegisterPath, token: tok, body: body, header: from("203.0.113.200")}); a.status != http.StatusCreated {
			t.Fatalf("another address: %d %s", a.status, a.body)
		}
	})

	t.Run("configuration endpoint", func(t *testing.T) {
		const addr = "198.51.100.7"
		a := e.do(t, call{method: "POST", path: admin.RegisterPath, token: tok, body: body, header: from(addr)})
		var reg struct {
			ClientID                string `json:"client_id"`
			RegistrationAccessToken string `json:"registration_access_token"`
		}
		a.decode(t, &reg)
		path := admin.RegisterPath + "/" + reg.ClientID
		for range 5 { // good reads do not count
			if a := e.do(t, call{method: "GET", path: path, token: reg.RegistrationAccessToken, header: from(addr)}); a.status != http.StatusOK {
				t.Fatalf("read: %d %s", a.status, a.body)
			}
		}
		for range 2 { // with the registration, the allowance of 3 is spent
			if a := e.do(t, call{method: "GET", path: path, token: "guess", header: from(addr)}); a.status != http.StatusUnauthorized {
				t.Fatalf("read with a wrong token: %d %s", a.status, a.body)
			}
		}
		limited(t, e.do(t, call{method: "GET", path: path, token: reg.RegistrationAccessToken, header: from(addr)}))
	})
}
