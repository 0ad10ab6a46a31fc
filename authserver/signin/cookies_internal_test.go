package signin

import "testing"

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
