package authserver

import "testing"

func TestDescribe(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "code is required", "code is required"},
		{"quotes", `scope "x" is bad`, "scope 'x' is bad"},
		{"backslash and controls", "a\\b\nc", "a?b?c"},
		{"non-ASCII", "prompt é", "prompt ??"},
	}
	for _, tt := range tests {
		if got := describe(tt.in); got != tt.want {
			t.Errorf("%s: describe(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestCookieNames(t *testing.T) {
	tests := []struct {
		name          string
		secure        bool
		path          string
		session, brow string
	}{
		{"https at the root", true, "/", "__Host-portcullis_session", "__Host-portcullis_browser"},
		{"https under a path", true, "/auth", "portcullis_session", "portcullis_browser"},
		{"loopback http", false, "/", "portcullis_session", "portcullis_browser"},
	}
	for _, tt := range tests {
		c := newCookieSettings(tt.secure, tt.path)
		if c.session != tt.session || c.browser != tt.brow {
			t.Errorf("%s: cookies %q %q", tt.name, c.session, c.browser)
		}
	}
}
