package signin

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestCSRFToken: a token verifies only for the form, request and browser
// it was made for, under the server secret it was made with.
func TestCSRFToken(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, 32)
	s := &Server{cookies: newCookieSettings(false, "/"), keys: newMACKeys(secret)}
	other := &Server{cookies: s.cookies, keys: newMACKeys(bytes.Repeat([]byte{8}, 32))}
	browserA, browserB := strings.Repeat("a", 43), strings.Repeat("b", 43)
	token := func(s *Server, browser, form, request string) string {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(&http.Cookie{Name: browserCookieName, Value: browser})
		return s.csrfToken(httptest.NewRecorder(), r, form, request)
	}
	posted := func(browser, csrf string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(&http.Cookie{Name: browserCookieName, Value: browser})
		return r
	}
	valid := token(s, browserA, formLogin, "req1")
	tests := []struct {
		name    string
		browser string
		csrf    string
		want    bool
	}{
		{"valid", browserA, valid, true},
		{"another browser's cookie", browserB, valid, false},
		{"made for another browser", browserA, token(s, browserB, formLogin, "req1"), false},
		{"made for another request", browserA, token(s, browserA, formLogin, "req2"), false},
		{"made for another form", browserA, token(s, browserA, formConsent, "req1"), false},
		{"made under another server secret", browserA, token(other, browserA, formLogin, "req1"), false},
		{"truncated", browserA, valid[:len(valid)-2], false},
		{"not base64", browserA, valid[:len(valid)-1] + "*", false},
		{"empty", browserA, "", false},
	}
	for _, tt := range tests {
		if got := s.checkCSRF(posted(tt.browser, tt.csrf), formLogin, "req1"); got != tt.want {
			t.Errorf("%s: checkCSRF = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestUsernameDigest: the digest of a typed username is keyed, folds case
// like the throttle, and holds none of the text.
func TestUsernameDigest(t *testing.T) {
	s := &Server{keys: newMACKeys(bytes.Repeat([]byte{7}, 32))}
	other := &Server{keys: newMACKeys(bytes.Repeat([]byte{8}, 32))}
	d := s.usernameDigest("Correct-Horse-Battery")
	if d != s.usernameDigest("correct-horse-battery") {
		t.Error("case changes the digest")
	}
	if d == other.usernameDigest("Correct-Horse-Battery") {
		t.Error("the digest does not depend on the server secret")
	}
	if strings.Contains(strings.ToLower(d), "horse") || len(d) != 43 {
		t.Errorf("digest %q", d)
	}
}
