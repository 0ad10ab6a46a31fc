package connectors

import "testing"

// TestSecureURL: https anywhere, http only on this machine, and never a
// relative URL or one with a query, fragment or user.
func TestSecureURL(t *testing.T) {
	for _, tt := range []struct {
		name, url string
		want      bool
	}{
		{"https", "https://idp.example.com", true},
		{"https with path", "https://idp.example.com/tenant/v2.0", true},
		{"http remote", "http://idp.example.com", false},
		{"http localhost", "http://localhost:8080", true},
		{"http 127.0.0.1", "http://127.0.0.1:9000", true},
		{"http ::1", "http://[::1]:9000", true},
		{"http lookalike of localhost", "http://localhost.evil.example", false},
		{"relative", "/issuer", false},
		{"query", "https://idp.example.com?x=1", false},
		{"fragment", "https://idp.example.com#x", false},
		{"user", "https://u:p@idp.example.com", false},
		{"other scheme", "ftp://idp.example.com", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := SecureURL(tt.url); got != tt.want {
				t.Errorf("SecureURL(%q) = %v, want %v", tt.url, got, tt.want)
			}
		})
	}
}
