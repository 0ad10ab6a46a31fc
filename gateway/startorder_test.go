package gateway_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/gateway"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/internal/health"
)

// TestIssuerStartedLate: a gateway started before its issuer listens
// answers its routes 503 with Retry-After and /readyz not ready, while
// /healthz says it is alive; once the issuer is up it serves, without a
// restart.
func TestIssuerStartedLate(t *testing.T) {
	issuer, startIssuer := authservertest.Late(t)
	up := echo(t)
	gw, err := gateway.New(t.Context(), gateway.Config{
		Listen: "127.0.0.1:0", Issuer: issuer, Audience: authservertest.API,
		Routes: []gateway.Route{{Path: "/api", Upstream: up.URL}},
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("gateway.New with the issuer down: %v", err)
	}
	t.Cleanup(gw.Close)
	srv := httptest.NewServer(health.Mount(gw, gw.Ready))
	t.Cleanup(srv.Close)
	if err := gw.Ready(); !errors.Is(err, guard.ErrNotReady) {
		t.Fatalf("Ready: %v, want ErrNotReady", err)
	}
	tests := []struct {
		name       string
		path       string
		status     int
		retryAfter bool
	}{
		{name: "route", path: "/api/x", status: http.StatusServiceUnavailable, retryAfter: true},
		{name: "readyz", path: "/readyz", status: http.StatusServiceUnavailable},
		{name: "healthz", path: "/healthz", status: http.StatusOK},
		{name: "no route", path: "/elsewhere", status: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := do(t, "GET", srv.URL+tt.path, "", nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); tt.retryAfter && (err != nil || s < 1) {
				t.Errorf("Retry-After %q, want whole seconds", resp.Header.Get("Retry-After"))
			}
		})
	}
	as := startIssuer()
	deadline := time.Now().Add(time.Minute)
	for gw.Ready() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("not ready a minute after the issuer started: %v", gw.Ready())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resp, _ := do(t, "GET", srv.URL+"/readyz", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("readyz once the issuer is up: %d", resp.StatusCode)
	}
	if resp, body := do(t, "GET", srv.URL+"/api/x", as.Token(t, ""), nil); resp.StatusCode != http.StatusOK {
		t.Errorf("route once the issuer is up: %d %s", resp.StatusCode, body)
	}
}
