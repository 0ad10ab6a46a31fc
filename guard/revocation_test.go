package guard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/guard/guardtest"
)

// TestRevocationWithinBound revokes a token the guard has cached: it is
// refused as soon as a poll that started after the revocation completes.
func TestRevocationWithinBound(t *testing.T) {
	iss := newIssuer(t)
	g := newGuard(t, iss.URL, func(o *guard.Options) { o.RevocationInterval = 5 * time.Millisecond })
	token, other := iss.Token("list:users"), iss.Token("list:users")
	for _, tok := range []string{token, other} {
		if _, err := g.Verify(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
	}
	iss.Revoke(token)
	polls := g.Stats().RevocationPolls
	// The poll in progress may have missed the revocation; the one after
	// it cannot.
	waitFor(t, "two polls", func() bool { return g.Stats().RevocationPolls >= polls+2 })
	if _, err := g.Verify(t.Context(), token); !errors.Is(err, guard.ErrRevoked) {
		t.Errorf("revoked token: %v, want ErrRevoked", err)
	}
	if _, err := g.Verify(t.Context(), other); err != nil {
		t.Errorf("other token: %v", err)
	}
}

// TestRevokedBeforeStart checks that the first poll happens in New.
func TestRevokedBeforeStart(t *testing.T) {
	iss := newIssuer(t)
	token := iss.Token("list:users")
	iss.Revoke(token)
	g := newGuard(t, iss.URL)
	// Verify never returns a caller with an error, though the
	// middleware's Observe is told of this one.
	if c, err := g.Verify(t.Context(), token); !errors.Is(err, guard.ErrRevoked) || c != nil {
		t.Errorf("token revoked before start: %v, %v; want ErrRevoked and no caller", c, err)
	}
}

// TestRevocationPages reads a list longer than one page in one poll.
func TestRevocationPages(t *testing.T) {
	iss := newIssuer(t)
	var tokens, jtis []string
	for range 3 {
		c := iss.Claims("list:users")
		tokens = append(tokens, iss.Sign(nil, c))
		jtis = append(jtis, c["jti"].(string))
	}
	// Serve one entry per page, as a server with a page size of 1 would.
	iss.Wrap("/revocations", func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			after, _ := strconv.Atoi(r.URL.Query().Get("after"))
			page := map[string]any{"cursor": after, "revoked": []any{}}
			if after < len(jtis) {
				page = map[string]any{"cursor": after + 1, "revoked": []any{map[string]any{"jti": jtis[after], "exp": time.Now().Add(time.Hour).Unix()}}}
			}
			_ = json.NewEncoder(w).Encode(page)
		})
	})
	g := newGuard(t, iss.URL)
	for _, tok := range tokens {
		if _, err := g.Verify(t.Context(), tok); !errors.Is(err, guard.ErrRevoked) {
			t.Errorf("Verify: %v, want ErrRevoked", err)
		}
	}
	if n := iss.Requests("/revocations"); n != 4 {
		t.Errorf("%d requests to read 3 pages, want 4", n)
	}
}

// TestRevocationListDown checks that a failing list is logged and counted
// and that tokens keep being accepted.
func TestRevocationListDown(t *testing.T) {
	iss := newIssuer(t)
	var logs logBuffer
	g := newGuard(t, iss.URL, logTo(&logs), func(o *guard.Options) { o.RevocationInterval = time.Millisecond })
	token := iss.Token("list:users")
	iss.SetMode(guardtest.Down)
	// The count goes up just before the line is logged: wait for both.
	waitFor(t, "a failed poll, counted and logged", func() bool {
		return g.Stats().RevocationFailures > 0 && strings.Contains(logs.String(), "revocation list poll failed")
	})
	if _, err := g.Verify(t.Context(), token); err != nil {
		t.Errorf("during outage: %v", err)
	}
}

// TestRefreshRevocations revokes a token at a real Portcullis server and
// asks the guard to refresh, as a Redis notice does: the token is refused
// after one poll, long before the hour-long interval.
func TestRefreshRevocations(t *testing.T) {
	srv := authservertest.New(t)
	g := newGuard(t, srv.URL, func(o *guard.Options) { o.RevocationInterval = time.Hour })
	token, other := srv.Token(t, "list:users"), srv.Token(t, "list:users")
	for _, tok := range []string{token, other} {
		if _, err := g.Verify(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
	}
	srv.Revoke(t, token)
	// New polled before returning and the interval is an hour away, so the
	// poll counted next starts after the revocation.
	polls := g.Stats().RevocationPolls
	g.RefreshRevocations()
	waitFor(t, "the triggered poll", func() bool { return g.Stats().RevocationPolls > polls })
	if _, err := g.Verify(t.Context(), token); !errors.Is(err, guard.ErrRevoked) {
		t.Errorf("revoked token after RefreshRevocations: %v, want ErrRevoked", err)
	}
	if _, err := g.Verify(t.Context(), other); err != nil {
		t.Errorf("other token: %v", err)
	}
}

// TestRefreshRevocationsCoalesce calls RefreshRevocations many times while
// a poll is held at the issuer: the calls become one more poll, not one
// each, and polls never overlap.
func TestRefreshRevocationsCoalesce(t *testing.T) {
	iss := newIssuer(t)
	g := newGuard(t, iss.URL, func(o *guard.Options) { o.RevocationInterval = time.Hour })
	held, release := make(chan struct{}), make(chan struct{})
	var first sync.Once
	iss.Wrap("/revocations", func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			first.Do(func() {
				close(held)
				<-release
			})
			next.ServeHTTP(w, r)
		})
	})
	base, requests := g.Stats().RevocationPolls, iss.Requests("/revocations")
	for range 100 {
		g.RefreshRevocations()
	}
	<-held
	for range 100 {
		g.RefreshRevocations()
	}
	close(release)
	waitFor(t, "two polls", func() bool { return g.Stats().RevocationPolls == base+2 })
	if n := iss.Requests("/revocations") - requests; n != 2 {
		t.Errorf("%d requests for 200 calls around one held poll, want 2", n)
	}
}

// TestRefreshRevocationsWithoutPolling checks that a guard that does not
// poll ignores the call.
func TestRefreshRevocationsWithoutPolling(t *testing.T) {
	iss := newIssuer(t)
	g := newGuard(t, iss.URL, func(o *guard.Options) { o.RevocationInterval = -1 })
	g.RefreshRevocations()
	if n := iss.Requests("/revocations"); n != 0 {
		t.Errorf("%d requests to the revocation list, want 0", n)
	}
}

// An API told of each revocation as it happens: with Portcullis and Redis,
// redisstate.Client.SubscribeRevocations(ctx, g.RefreshRevocations) does
// the telling. The revoked token is refused without waiting for the hour
// of RevocationInterval.
func ExampleGuard_RefreshRevocations() {
	issuer := guardtest.NewIssuer()
	defer issuer.Close()
	g, err := guard.New(context.Background(), guard.Options{
		Issuer:             issuer.URL,
		Audience:           "https://api.example.com",
		RevocationInterval: time.Hour,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()

	token := issuer.Token("list:users")
	issuer.Revoke(token)
	polls := g.Stats().RevocationPolls
	g.RefreshRevocations()
	for g.Stats().RevocationPolls == polls {
		time.Sleep(time.Millisecond) // the poll runs in the background
	}
	_, err = g.Verify(context.Background(), token)
	fmt.Println(errors.Is(err, guard.ErrRevoked))
	// Output: true
}
