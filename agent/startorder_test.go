package agent_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/portcullis/portcullis/agent"
	"github.com/portcullis/portcullis/internal/health"
)

// TestProviderStartedLate: an agent started while its provider does not
// answer answers its endpoints 503 provider_unavailable with Retry-After
// and /readyz not ready; once the provider answers, a sign-in works
// without a restart.
func TestProviderStartedLate(t *testing.T) {
	op := newTestOP(t, appURL)
	op.down.Store(true)
	cfg := op.config()
	cfg.Listen, cfg.CookieEncryptionKey = "127.0.0.1:0", agent.Keys{testKey}
	a, err := agent.New(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("agent.New with the provider down: %v", err)
	}
	if err := a.Ready(); !errors.Is(err, agent.ErrNotReady) {
		t.Fatalf("Ready: %v, want ErrNotReady", err)
	}
	srv := httptest.NewServer(health.Mount(a, a.Ready))
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv.URL+agent.DefaultBasePath, cfg)
	tests := []struct {
		name   string
		do     func() answer
		status int
		code   string
	}{
		{name: "login start", do: func() answer { return b.post("/login/start", nil) }, status: http.StatusServiceUnavailable, code: "provider_unavailable"},
		{name: "userInfo", do: func() answer { return b.get("/userInfo") }, status: http.StatusServiceUnavailable, code: "provider_unavailable"},
		{name: "unknown path", do: func() answer { return b.get("/nothing") }, status: http.StatusNotFound, code: "not_found"},
		{name: "readyz", do: func() answer { return b.do(http.MethodGet, srv.URL+"/readyz", nil) }, status: http.StatusServiceUnavailable},
		{name: "healthz", do: func() answer { return b.do(http.MethodGet, srv.URL+"/healthz", nil) }, status: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.do()
			if a.status != tt.status {
				t.Fatalf("%d %s, want %d", a.status, a.body, tt.status)
			}
			if tt.code == "" {
				return
			}
			if got := a.code(t); got != tt.code {
				t.Errorf("code %q, want %q", got, tt.code)
			}
			if s, err := strconv.Atoi(a.header.Get("Retry-After")); tt.status == http.StatusServiceUnavailable && (err != nil || s < 1) {
				t.Errorf("Retry-After %q, want whole seconds", a.header.Get("Retry-After"))
			}
		})
	}
	op.down.Store(false)
	deadline := time.Now().Add(time.Minute)
	for a.Ready() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("not ready a minute after the provider came up: %v", a.Ready())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r := b.do(http.MethodGet, srv.URL+"/readyz", nil); r.status != http.StatusOK {
		t.Errorf("readyz once the provider is up: %d %s", r.status, r.body)
	}
	b.signIn("", "")
	if r := b.get("/userInfo"); r.status != http.StatusOK {
		t.Errorf("userInfo after a sign-in: %d %s", r.status, r.body)
	}
}
