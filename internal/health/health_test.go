package health_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/health"
)

func TestHandler(t *testing.T) {
	part := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	notReady := func() error { return errors.New("issuer at http://10.0.0.1 unreachable") }
	ready := func() error { return nil }
	tests := []struct {
		name   string
		ready  func() error
		drain  bool
		method string
		path   string
		status int
		body   string
		hidden string
	}{
		{name: "alive while not ready", ready: notReady, method: "GET", path: "/healthz", status: 200, body: `"ok"`},
		{name: "not ready, reason kept out", ready: notReady, method: "GET", path: "/readyz", status: 503, body: `"not ready"`, hidden: "10.0.0.1"},
		{name: "ready", ready: ready, method: "GET", path: "/readyz", status: 200, body: `"ready"`},
		{name: "draining", ready: ready, drain: true, method: "GET", path: "/readyz", status: 503, body: `"shutting down"`},
		{name: "HEAD probe", ready: ready, method: "HEAD", path: "/readyz", status: 200},
		{name: "other paths reach the part", ready: notReady, method: "GET", path: "/api/readyz", status: http.StatusTeapot},
		{name: "other methods reach the part", ready: ready, method: "POST", path: "/healthz", status: http.StatusTeapot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := health.Mount(part, tt.ready)
			if tt.drain {
				h.Drain()
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if !strings.Contains(w.Body.String(), tt.body) {
				t.Errorf("body %q, want %s", w.Body, tt.body)
			}
			if tt.hidden != "" && strings.Contains(w.Body.String(), tt.hidden) {
				t.Errorf("body %q shows %q", w.Body, tt.hidden)
			}
		})
	}
}
