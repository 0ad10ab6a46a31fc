package agent_test

import (
	"net/http"
	"testing"
)

// TestCORS: preflights and answers carry CORS headers for trusted origins
// only, with credentials, errors included.
func TestCORS(t *testing.T) {
	op := newTestOP(t, appURL)
	cfg := op.config()
	base, _ := startAgent(t, cfg)
	b := newBrowser(t, base, cfg)
	trusted := cfg.TrustedWebOrigins[0]
	preflight := func(origin, method string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Origin", origin)
			r.Header.Set("Access-Control-Request-Method", method)
			r.Header.Set("Access-Control-Request-Headers", "content-type,token-handler-version")
			r.Header.Del("Token-Handler-Version")
		}
	}
	tests := []struct {
		name    string
		method  string
		path    string
		change  func(*http.Request)
		status  int
		allowed bool
	}{
		{name: "preflight from a trusted origin", method: "OPTIONS", path: "/login/start", change: preflight(trusted, "POST"), status: 204, allowed: true},
		{name: "preflight for another method", method: "OPTIONS", path: "/login/start", change: preflight(trusted, "DELETE"), status: 403, allowed: true},
		{name: "preflight from a foreign origin", method: "OPTIONS", path: "/refresh", change: preflight("https://evil.example", "POST"), status: 403},
		{name: "answer to a trusted origin", method: "GET", path: "/userInfo", status: 401, allowed: true},
		{name: "answer to a foreign origin", method: "GET", path: "/userInfo", change: setHeader("Origin", "https://evil.example"), status: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var change []func(*http.Request)
			if tt.change != nil {
				change = append(change, tt.change)
			}
			a := b.do(tt.method, base+tt.path, nil, change...)
			h := a.header
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
			if h.Get("Vary") != "Origin" {
				t.Errorf("Vary %q", h.Values("Vary"))
			}
			if got := h.Get("Access-Control-Allow-Origin"); tt.allowed != (got == trusted) || tt.allowed != (h.Get("Access-Control-Allow-Credentials") == "true") {
				t.Errorf("Allow-Origin %q, Allow-Credentials %q", got, h.Get("Access-Control-Allow-Credentials"))
			}
			if tt.status == 204 && (h.Get("Access-Control-Allow-Methods") != "POST" || h.Get("Access-Control-Allow-Headers") != "content-type,token-handler-version" || h.Get("Access-Control-Max-Age") == "") {
				t.Errorf("preflight headers %v", h)
			}
		})
	}
}
