package config

import (
	"strings"
	"testing"
)

// TestUnknownKeySuggestion checks that an unknown key names the nearest
// known key when it is a likely typo, and none when nothing is close.
func TestUnknownKeySuggestion(t *testing.T) {
	base := "issuer: http://127.0.0.1:8080\nstorage: sqlite://x.db\n"
	tests := []struct {
		name, doc, want, notWant string
	}{
		{name: "one letter missing", doc: base + "isuer: x\n", want: "isuer: unknown key (line 3); did you mean issuer?"},
		{name: "nested", doc: base + "gateway: {lisen: 127.0.0.1:1}\n", want: "gateway.lisen: unknown key (line 3); did you mean listen?"},
		{name: "swapped letters", doc: base + "acess_token_ttl: 1h\n", want: "did you mean access_token_ttl?"},
		{name: "nothing close", doc: base + "frobnicate: 1\n", want: "frobnicate: unknown key (line 3)", notWant: "did you mean"},
		{name: "short key far from all", doc: base + "ab: 1\n", want: "ab: unknown key", notWant: "did you mean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), "/", env(nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if tt.notWant != "" && strings.Contains(err.Error(), tt.notWant) {
				t.Fatalf("got %v, want no %q", err, tt.notWant)
			}
		})
	}
}

// TestInheritedCookieErrorsOnce checks that a bad agent cookie setting,
// which the gateway inherits, is reported once, under oauth_agent.
func TestInheritedCookieErrorsOnce(t *testing.T) {
	doc := `issuer: http://127.0.0.1:8080
storage: sqlite://x.db
apis: [{identifier: "https://api.example.com", scopes: [list:users]}]
gateway:
  listen: 127.0.0.1:8082
  public_url: http://127.0.0.1:8082
  issuer: http://127.0.0.1:8080
  audience: https://api.example.com
  routes:
    - {path: /users, upstream: "http://127.0.0.1:9000", cookies: true}
oauth_agent:
  listen: 127.0.0.1:8081
  issuer: http://127.0.0.1:8080
  client_id: spa-agent
  client_secret: s
  redirect_uri: http://127.0.0.1:3000/
  trusted_web_origins: [not-an-origin]
  cookie_encryption_key: short
`
	_, err := Parse([]byte(doc), "/", env(nil))
	if err == nil {
		t.Fatal("a bad cookie key was accepted")
	}
	msg := err.Error()
	for _, key := range []string{"cookie_encryption_key", "trusted_web_origins[0]"} {
		if n := strings.Count(msg, key); n != 1 {
			t.Errorf("%s reported %d times, want once:\n%s", key, n, msg)
		}
	}
	if strings.Contains(msg, "gateway.cookies.") {
		t.Errorf("inherited settings reported under gateway.cookies:\n%s", msg)
	}
}

// TestLogging checks log_level and log_format.
func TestLogging(t *testing.T) {
	base := "issuer: http://127.0.0.1:8080\nstorage: sqlite://x.db\n"
	tests := []struct {
		name, doc, wantErr string
	}{
		{name: "both set", doc: base + "log_level: debug\nlog_format: text\n"},
		{name: "unset", doc: base},
		{name: "bad level", doc: base + "log_level: verbose\n", wantErr: `log_level: "verbose" is not debug, info, warn or error`},
		{name: "bad format", doc: base + "log_format: xml\n", wantErr: `log_format: "xml" is not json or text`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), "/", env(nil))
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}
