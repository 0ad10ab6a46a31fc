package console_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/console"
)

// Behind an https issuer with a path (a proxy strips it before the
// server), the console answers under Path and sends browsers to the
// issuer's path, with a Secure cookie scoped to it.
func TestIssuerPath(t *testing.T) {
	c, err := console.New(console.Config{Issuer: "https://id.example.com/tenant", Secret: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, location, cookie string
	}{
		{"a page without a session", "/console/apps?q=a", "/tenant/console/login?next=%2Ftenant%2Fconsole%2Fapps%3Fq%3Da", "Path=/tenant/console/"},
		{"login", "/console/login?next=/tenant/console/keys", "https://id.example.com/tenant/authorize?", "Secure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			c.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.path, nil))
			if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), tc.location) {
				t.Fatalf("%d to %q, want 303 to %s", w.Code, w.Header().Get("Location"), tc.location)
			}
			if !strings.Contains(w.Header().Get("Set-Cookie"), tc.cookie) {
				t.Errorf("cookie %q lacks %s", w.Header().Get("Set-Cookie"), tc.cookie)
			}
		})
	}
	// The authorization request names the built-in client, its redirect
	// URI under the issuer's path, and PKCE.
	w := httptest.NewRecorder()
	c.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/console/login", nil))
	u, _ := url.Parse(w.Header().Get("Location"))
	q := u.Query()
	if q.Get("client_id") != console.ClientID || q.Get("redirect_uri") != "https://id.example.com/tenant/console/callback" ||
		q.Get("code_challenge_method") != "S256" || q.Get("state") == "" || !strings.Contains(q.Get("scope"), "admin:keys:write") {
		t.Errorf("authorization request %s", u)
	}
}

// New refuses a configuration without an issuer or a long enough secret.
func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  console.Config
	}{
		{"no issuer", console.Config{Secret: make([]byte, 32)}},
		{"not a URL", console.Config{Issuer: "id.example.com", Secret: make([]byte, 32)}},
		{"short secret", console.Config{Issuer: "https://id.example.com", Secret: make([]byte, 16)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := console.New(tc.cfg); err == nil {
				t.Fatal("built")
			}
		})
	}
}
