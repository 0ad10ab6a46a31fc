package guard_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/guard/guardtest"
)

// TestRetryStart: with RetryStart, a guard whose issuer is down at New
// starts anyway, answers 503 temporarily_unavailable with Retry-After and
// no challenge, and serves once the issuer answers, without being built
// again; without it, New fails as it always has.
func TestRetryStart(t *testing.T) {
	iss := newIssuer(t)
	iss.SetMode(guardtest.Down)
	if _, err := guard.New(t.Context(), guard.Options{Issuer: iss.URL, Audience: guardtest.Audience}); !errors.Is(err, guard.ErrDiscovery) {
		t.Fatalf("New without RetryStart, issuer down: %v, want ErrDiscovery", err)
	}
	g := newGuard(t, iss.URL, func(o *guard.Options) { o.RetryStart = true; o.KeyRefreshMin = 100 * time.Millisecond })
	if err := g.Ready(); !errors.Is(err, guard.ErrNotReady) {
		t.Fatalf("Ready while the issuer is down: %v, want ErrNotReady", err)
	}
	token := iss.Token("read")
	h := g.Middleware(ok)
	tests := []struct {
		name          string
		authorization string
	}{
		{"with a token", "Bearer " + token},
		{"without a token", ""},
		{"malformed header", "Bearer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(h, tt.authorization)
			if w.Code != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503: %s", w.Code, w.Body)
			}
			if s, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || s < 1 {
				t.Errorf("Retry-After %q, want whole seconds >= 1", w.Header().Get("Retry-After"))
			}
			if c := w.Header().Get("WWW-Authenticate"); c != "" {
				t.Errorf("WWW-Authenticate %q on a 503", c)
			}
			var body struct{ Error string }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error != guard.CodeTemporarilyUnavailable {
				t.Errorf("body %s, want error temporarily_unavailable", w.Body)
			}
		})
	}
	if _, err := g.Verify(t.Context(), token); !errors.Is(err, guard.ErrNotReady) {
		t.Errorf("Verify while not ready: %v, want ErrNotReady", err)
	}
	if algs := g.Algorithms(); len(algs) != 0 {
		t.Errorf("Algorithms while not ready: %v", algs)
	}
	iss.SetMode(guardtest.Up)
	waitFor(t, "the guard to read the issuer", func() bool { return g.Ready() == nil })
	if w := serve(h, "Bearer "+token); w.Code != http.StatusOK {
		t.Errorf("once ready: %d %s, want 200", w.Code, w.Body)
	}
	if algs := g.Algorithms(); len(algs) == 0 {
		t.Error("no algorithms once ready")
	}
}

// TestRetryStartIssuerUp: with the issuer up, a RetryStart guard is ready
// when New returns, as any other.
func TestRetryStartIssuerUp(t *testing.T) {
	iss := newIssuer(t)
	g := newGuard(t, iss.URL, func(o *guard.Options) { o.RetryStart = true })
	if err := g.Ready(); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	if w := serve(g.Middleware(ok), "Bearer "+iss.Token("read")); w.Code != http.StatusOK {
		t.Errorf("%d %s, want 200", w.Code, w.Body)
	}
}
