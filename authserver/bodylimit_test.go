package authserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/authserver/authservertest"
)

// TestOversizedBodies posts a body over the limit to every endpoint that
// reads one: each answers 413 in its own format, the OAuth JSON error
// (with a Bearer challenge at /userinfo) or the sign-in pages' HTML error
// page, never 400 or 5xx.
func TestOversizedBodies(t *testing.T) {
	as := authservertest.New(t)
	huge := "scope=" + strings.Repeat("a", 70<<10)
	tests := []struct {
		name string
		path string
		html bool
	}{
		{name: "token", path: "/token"},
		{name: "revoke", path: "/revoke"},
		{name: "introspect", path: "/introspect"},
		{name: "par", path: "/par"},
		{name: "userinfo", path: "/userinfo"},
		{name: "authorize", path: "/authorize", html: true},
		{name: "login", path: "/login", html: true},
		{name: "consent", path: "/consent", html: true},
		{name: "logout", path: "/logout", html: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", as.URL+tt.path, strings.NewReader(huge))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(as.ClientID, as.ClientSecret)
			if tt.path == "/userinfo" {
				req.Header.Del("Authorization")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413: %s", resp.StatusCode, body)
			}
			ct := resp.Header.Get("Content-Type")
			if tt.html {
				if !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(body), "exceeds") {
					t.Fatalf("Content-Type %q, body %s: want the HTML error page", ct, body)
				}
				return
			}
			var e struct {
				Error string `json:"error"`
			}
			if !strings.HasPrefix(ct, "application/json") || json.Unmarshal(body, &e) != nil || e.Error != "invalid_request" {
				t.Fatalf("Content-Type %q, body %s: want an invalid_request JSON error", ct, body)
			}
			if tt.path == "/userinfo" && !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_request"`) {
				t.Fatalf("WWW-Authenticate %q: want the Bearer challenge with invalid_request", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}
