package guard_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/guard/guardtest"
)

// TestRotationSharedFetch rotates the issuer's key and sends many tokens
// under the new kid at once: all are accepted, and they cost the issuer a
// single JWKS fetch.
func TestRotationSharedFetch(t *testing.T) {
	iss := newIssuer(t)
	g := newGuard(t, iss.URL)
	before := iss.Requests("/jwks")

	iss.RotateKeys()
	token := iss.Token("list:users")
	// Hold the fetch until every request has been sent, so that they
	// overlap it.
	release := make(chan struct{})
	iss.Wrap("/jwks", func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-release
			next.ServeHTTP(w, r)
		})
	})
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := g.Verify(t.Context(), token)
			errs <- err
		})
	}
	waitFor(t, "the refetch to start", func() bool { return iss.Requests("/jwks") == before+1 })
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Verify after rotation: %v", err)
		}
	}
	if got := iss.Requests("/jwks") - before; got != 1 {
		t.Errorf("%d JWKS fetches for one rotation, want 1", got)
	}
}

// TestUnknownKidFlood sends tokens with random kids: they are refused and
// cost the issuer at most one fetch per KeyRefreshMin.
func TestUnknownKidFlood(t *testing.T) {
	iss := newIssuer(t)
	clock := newClock()
	g := newGuard(t, iss.URL, func(o *guard.Options) { o.Clock = clock.Now })
	before := iss.Requests("/jwks")
	flood := func() {
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() {
				token := iss.Sign(map[string]any{"kid": "random-" + strconv.Itoa(i)}, iss.Claims("list:users"))
				if _, err := g.Verify(t.Context(), token); !errors.Is(err, guard.ErrUnknownKey) {
					t.Errorf("random kid: %v, want ErrUnknownKey", err)
				}
			})
		}
		wg.Wait()
	}
	flood()
	if got := iss.Requests("/jwks") - before; got != 1 {
		t.Errorf("%d JWKS fetches for a flood of random kids, want 1", got)
	}
	clock.Advance(29 * time.Second)
	flood()
	if got := iss.Requests("/jwks") - before; got != 1 {
		t.Errorf("%d JWKS fetches within KeyRefreshMin, want 1", got)
	}
	clock.Advance(time.Second)
	flood()
	if got := iss.Requests("/jwks") - before; got != 2 {
		t.Errorf("%d JWKS fetches after KeyRefreshMin, want 2", got)
	}
}

// TestBadSignatureNoRefetch checks that a forged signature under a known
// kid never makes the guard fetch keys.
func TestBadSignatureNoRefetch(t *testing.T) {
	iss := newIssuer(t)
	g := newGuard(t, iss.URL)
	before := iss.Requests("/jwks")
	token := iss.Token("list:users")
	forged := token[:strings.LastIndex(token, ".")+1] + strings.Repeat("A", 86)
	for range 10 {
		if _, err := g.Verify(t.Context(), forged); !errors.Is(err, guard.ErrSignature) {
			t.Fatalf("forged: %v, want ErrSignature", err)
		}
	}
	if got := iss.Requests("/jwks") - before; got != 0 {
		t.Errorf("%d JWKS fetches for bad signatures", got)
	}
}

// TestIssuerOutage refreshes the key set often while the issuer is down
// or serves garbage: known keys keep working, new tokens under them too,
// and each failure is logged and counted.
func TestIssuerOutage(t *testing.T) {
	for _, mode := range []struct {
		name string
		mode guardtest.Mode
	}{{"down", guardtest.Down}, {"garbage", guardtest.Garbage}} {
		t.Run(mode.name, func(t *testing.T) {
			iss := newIssuer(t)
			var logs logBuffer
			g := newGuard(t, iss.URL, logTo(&logs), func(o *guard.Options) {
				o.KeyRefreshMin, o.KeyRefreshMax = time.Millisecond, time.Millisecond
			})
			seen := iss.Token("list:users")
			if _, err := g.Verify(t.Context(), seen); err != nil {
				t.Fatal(err)
			}
			iss.SetMode(mode.mode)
			waitFor(t, "two failed refreshes", func() bool { return g.Stats().KeySetFailures >= 2 })
			for name, token := range map[string]string{"seen before": seen, "new": iss.Token("list:users")} {
				if _, err := g.Verify(t.Context(), token); err != nil {
					t.Errorf("%s token during outage: %v", name, err)
				}
			}
			if !strings.Contains(logs.String(), "JWKS refresh failed") {
				t.Errorf("no failure logged:\n%s", logs.String())
			}
			iss.SetMode(guardtest.Up)
			failures := g.Stats().KeySetFailures
			fetches := g.Stats().KeySetFetches
			waitFor(t, "a good refresh", func() bool { return g.Stats().KeySetFetches > fetches+1 })
			if got := g.Stats().KeySetFailures; got > failures+1 {
				t.Errorf("failures went on after recovery: %d then %d", failures, got)
			}
		})
	}
}

// TestRemovedKeyDropsCache checks that a token verified under a key the
// issuer stops publishing is no longer served from the cache.
func TestRemovedKeyDropsCache(t *testing.T) {
	iss := newIssuer(t)
	g := newGuard(t, iss.URL, func(o *guard.Options) {
		o.KeyRefreshMin, o.KeyRefreshMax = time.Millisecond, time.Millisecond
	})
	token := iss.Token("list:users")
	if _, err := g.Verify(t.Context(), token); err != nil {
		t.Fatal(err)
	}
	iss.RotateKeys()
	iss.RetireKeys()
	fetches := g.Stats().KeySetFetches
	waitFor(t, "a refresh", func() bool { return g.Stats().KeySetFetches > fetches+1 })
	if _, err := g.Verify(t.Context(), token); !errors.Is(err, guard.ErrUnknownKey) {
		t.Errorf("token of a removed key: %v, want ErrUnknownKey", err)
	}
}
