package registration_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/admin/internal/admintest"
	"github.com/portcullis/portcullis/admin/registration"
	"github.com/portcullis/portcullis/usage"
)

// Registration is limited per client address: every POST /register counts,
// whatever its initial access token, and at a configuration endpoint only
// the refused requests do. Over the limit the address gets 429
// temporarily_unavailable with Retry-After and the RateLimit headers, even
// with a good token; another address is not held back.
func TestRegisterRateLimit(t *testing.T) {
	e := admintest.New(t, admintest.Options{Registration: true, RegisterLimit: usage.PerMinute(3)})
	tok := e.Token(t, "admin", "")
	body := map[string]any{"grant_types": []string{"client_credentials"}}
	from := func(addr string) map[string]string { return map[string]string{"X-Forwarded-For": addr} }
	limited := func(t *testing.T, a admintest.Answer) {
		t.Helper()
		if a.Status != http.StatusTooManyRequests || oauthError(t, a) != "temporarily_unavailable" {
			t.Fatalf("%d %s, want 429 temporarily_unavailable", a.Status, a.Body)
		}
		if a.Header.Get("Retry-After") == "" || !strings.HasPrefix(a.Header.Get("RateLimit"), `"register";`) ||
			a.Header.Get("RateLimit-Policy") != `"register";q=3;w=60` {
			t.Errorf("headers %v", a.Header)
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
			if a := e.Do(t, admintest.Call{Method: "POST", Path: registration.Path, Token: s.token, Body: body, Header: from(addr)}); a.Status != s.want {
				t.Fatalf("%s: %d %s, want %d", s.name, a.Status, a.Body, s.want)
			}
		}
		limited(t, e.Do(t, admintest.Call{Method: "POST", Path: registration.Path, Token: tok, Body: body, Header: from(addr)}))
		if a := e.Do(t, admintest.Call{Method: "POST", Path: registration.Path, Token: tok, Body: body, Header: from("203.0.113.200")}); a.Status != http.StatusCreated {
			t.Fatalf("another address: %d %s", a.Status, a.Body)
		}
	})

	t.Run("configuration endpoint", func(t *testing.T) {
		const addr = "198.51.100.7"
		a := e.Do(t, admintest.Call{Method: "POST", Path: registration.Path, Token: tok, Body: body, Header: from(addr)})
		var reg struct {
			ClientID                string `json:"client_id"`
			RegistrationAccessToken string `json:"registration_access_token"`
		}
		a.Decode(t, &reg)
		path := registration.Path + "/" + reg.ClientID
		for range 5 { // good reads do not count
			if a := e.Do(t, admintest.Call{Method: "GET", Path: path, Token: reg.RegistrationAccessToken, Header: from(addr)}); a.Status != http.StatusOK {
				t.Fatalf("read: %d %s", a.Status, a.Body)
			}
		}
		for range 2 { // with the registration, the allowance of 3 is spent
			if a := e.Do(t, admintest.Call{Method: "GET", Path: path, Token: "guess", Header: from(addr)}); a.Status != http.StatusUnauthorized {
				t.Fatalf("read with a wrong token: %d %s", a.Status, a.Body)
			}
		}
		limited(t, e.Do(t, admintest.Call{Method: "GET", Path: path, Token: reg.RegistrationAccessToken, Header: from(addr)}))
	})
}
