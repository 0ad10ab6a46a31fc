package guard_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/guard/guardtest"
)

// newIssuer starts a fake issuer for the test.
func newIssuer(t testing.TB) *guardtest.Issuer {
	iss := guardtest.NewIssuer()
	t.Cleanup(iss.Close)
	return iss
}

// newGuard builds a guard for issuer and the test audience (the same for
// guardtest and authservertest), with options changed by the given
// functions, and closes it when the test ends.
func newGuard(t testing.TB, issuer string, opts ...func(*guard.Options)) *guard.Guard {
	t.Helper()
	o := guard.Options{Issuer: issuer, Audience: guardtest.Audience, Logger: slog.New(slog.DiscardHandler)}
	for _, f := range opts {
		f(&o)
	}
	g, err := guard.New(t.Context(), o)
	if err != nil {
		t.Fatalf("guard.New: %v", err)
	}
	t.Cleanup(g.Close)
	return g
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// logBuffer collects log output safely across goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logTo sends the guard's log, at debug level, to b.
func logTo(b *logBuffer) func(*guard.Options) {
	return func(o *guard.Options) {
		o.Logger = slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// serve sends a GET with the given Authorization header (none when empty)
// through h.
func serve(h http.Handler, authorization string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/users", nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline. It replaces sleeps: the test goes on as soon as cond holds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// ok is a handler that answers 200 with the caller's subject.
var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, _ := guard.CallerFromContext(r.Context())
	_, _ = w.Write([]byte(c.Subject()))
})
