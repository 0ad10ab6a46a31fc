package guard_test

import (
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/guard/guardtest"
)

// withIntrospection enables introspection with the fake issuer's
// credentials and a clock the test moves.
func withIntrospection(clock *fakeClock) func(*guard.Options) {
	return func(o *guard.Options) {
		o.Clock = clock.Now
		o.Introspection = guard.Introspection{
			ClientID: guardtest.ClientID, ClientSecret: guardtest.ClientSecret,
			CacheMax: time.Minute, NegativeCache: 5 * time.Second,
		}
	}
}

func TestIntrospectionCache(t *testing.T) {
	iss := newIssuer(t)
	clock := newClock()
	g := newGuard(t, iss.URL, withIntrospection(clock))
	token := iss.OpaqueToken("list:users")
	calls := func() int { return iss.Requests("/introspect") }

	for range 3 {
		c, err := g.Verify(t.Context(), token)
		if err != nil {
			t.Fatal(err)
		}
		if c.Subject() != "user-1" || !c.HasScope("list:users") {
			t.Fatalf("caller %q %q", c.Subject(), c.Scopes())
		}
	}
	if calls() != 1 {
		t.Fatalf("%d introspections for one token, want 1", calls())
	}
	// Revocation at the issuer shows once CacheMax has passed.
	iss.Revoke(token)
	clock.Advance(59 * time.Second)
	if _, err := g.Verify(t.Context(), token); err != nil {
		t.Fatalf("within CacheMax: %v", err)
	}
	clock.Advance(time.Second)
	if _, err := g.Verify(t.Context(), token); !errors.Is(err, guard.ErrInactive) {
		t.Fatalf("after CacheMax: %v, want ErrInactive", err)
	}
	if calls() != 2 {
		t.Fatalf("%d introspections, want 2", calls())
	}
	// The inactive answer is cached for NegativeCache only.
	clock.Advance(4 * time.Second)
	if _, err := g.Verify(t.Context(), token); !errors.Is(err, guard.ErrInactive) || calls() != 2 {
		t.Fatalf("within NegativeCache: %v after %d calls", err, calls())
	}
	clock.Advance(time.Second)
	if _, err := g.Verify(t.Context(), token); !errors.Is(err, guard.ErrInactive) || calls() != 3 {
		t.Fatalf("after NegativeCache: %v after %d calls", err, calls())
	}
}

// TestIntrospectionBoundedByExp checks that an active answer is not
// reused past the token's exp even when CacheMax is longer.
func TestIntrospectionBoundedByExp(t *testing.T) {
	iss := newIssuer(t)
	clock := newClock()
	g := newGuard(t, iss.URL, withIntrospection(clock), func(o *guard.Options) { o.Introspection.CacheMax = time.Hour })
	// The fake issuer's opaque tokens expire in an hour.
	token := iss.OpaqueToken("list:users")
	if _, err := g.Verify(t.Context(), token); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour - time.Second)
	if _, err := g.Verify(t.Context(), token); err != nil {
		t.Fatalf("before exp: %v", err)
	}
	clock.Advance(time.Second)
	if _, err := g.Verify(t.Context(), token); !errors.Is(err, guard.ErrExpired) {
		t.Fatalf("at exp: %v, want ErrExpired", err)
	}
}

// TestIntrospectionOneInFlight sends the same new token from many requests
// at once: the issuer sees one introspection.
func TestIntrospectionOneInFlight(t *testing.T) {
	iss := newIssuer(t)
	g := newGuard(t, iss.URL, withIntrospection(newClock()))
	token := iss.OpaqueToken("list:users")
	release := make(chan struct{})
	iss.Wrap("/introspect", func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-release
			next.ServeHTTP(w, r)
		})
	})
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			if _, err := g.Verify(t.Context(), token); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
	waitFor(t, "the introspection to start", func() bool { return iss.Requests("/introspect") == 1 })
	close(release)
	wg.Wait()
	if n := iss.Requests("/introspect"); n != 1 {
		t.Errorf("%d introspections, want 1", n)
	}
}

// TestIntrospectionUnavailable checks that an unreachable issuer gives 503
// and that the failure is not cached.
func TestIntrospectionUnavailable(t *testing.T) {
	iss := newIssuer(t)
	g := newGuard(t, iss.URL, withIntrospection(newClock()))
	token := iss.OpaqueToken("list:users")
	iss.SetMode(guardtest.Down)
	w := serve(g.Middleware(ok), "Bearer "+token)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("WWW-Authenticate") != "" {
		t.Fatalf("status %d, WWW-Authenticate %q; want 503 without a challenge", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	if g.Stats().IntrospectionFailures != 1 {
		t.Errorf("stats %+v", g.Stats())
	}
	iss.SetMode(guardtest.Up)
	if w := serve(g.Middleware(ok), "Bearer "+token); w.Code != http.StatusOK {
		t.Fatalf("after recovery: status %d", w.Code)
	}
}

func TestIntrospectionRefusals(t *testing.T) {
	iss := newIssuer(t)
	g := newGuard(t, iss.URL, withIntrospection(newClock()), func(o *guard.Options) { o.Audience = "https://other.example.com" })
	if _, err := g.Verify(t.Context(), iss.OpaqueToken("list:users")); !errors.Is(err, guard.ErrAudience) {
		t.Errorf("token for another API: %v, want ErrAudience", err)
	}
	if _, err := g.Verify(t.Context(), "unknown-token"); !errors.Is(err, guard.ErrInactive) {
		t.Errorf("unknown token: %v, want ErrInactive", err)
	}
}

func TestIntrospectionWrongCredentials(t *testing.T) {
	iss := newIssuer(t)
	g := newGuard(t, iss.URL, withIntrospection(newClock()), func(o *guard.Options) { o.Introspection.ClientSecret = "wrong" })
	_, err := g.Verify(t.Context(), iss.OpaqueToken("list:users"))
	var e *guard.Error
	if !errors.As(err, &e) || e.Status != http.StatusServiceUnavailable || !errors.Is(err, guard.ErrUnavailable) {
		t.Errorf("introspection refused: %v, want 503 ErrUnavailable", err)
	}
}
