package guard_test

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/dpop/dpoptest"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/redisstate"
)

// race sends the same request, proof included, from n goroutines at once
// through each of handlers in turn, and returns how many got 200 and how
// many were refused as replays.
func race(t *testing.T, n int, handlers []http.Handler, authorization, proof string) (wins, replays int) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			w := send(handlers[i%len(handlers)], http.MethodGet, "/users", authorization, proof)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case w.Code == http.StatusOK:
				wins++
			case w.Code == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") != "":
				replays++
			default:
				t.Errorf("status %d: %s", w.Code, w.Body)
			}
		})
	}
	close(start)
	wg.Wait()
	return wins, replays
}

// TestDPoPReplay sends one proof twice, and one proof from 50 goroutines
// at once, to a guard with its in-memory replay cache: it is used once.
func TestDPoPReplay(t *testing.T) {
	iss := newIssuer(t)
	s := dpoptest.NewSigner(t)
	token := iss.BoundToken("list:users", s.JKT)
	h := dpopGuard(t, iss.URL, guard.DPoP{Mode: guard.DPoPAllowed}).Middleware(whoami)
	req := dpoptest.Request{Method: http.MethodGet, URL: testAPI + "/users", AccessToken: token}
	proof := s.Proof(req)
	if w := send(h, http.MethodGet, "/users", "DPoP "+token, proof); w.Code != http.StatusOK {
		t.Fatalf("first use: status %d, %s", w.Code, w.Body)
	}
	checkRefusal(t, send(h, http.MethodGet, "/users", "DPoP "+token, proof),
		refusal{status: http.StatusUnauthorized, schemes: "Bearer DPoP", on: "DPoP", code: dpop.CodeInvalidProof})

	if wins, replays := race(t, 50, []http.Handler{h}, "DPoP "+token, s.Proof(req)); wins != 1 || replays != 49 {
		t.Fatalf("50 requests racing one proof: %d accepted, %d refused; want 1 and 49", wins, replays)
	}
}

// TestDPoPReplayRedis shares a Redis replay cache between two guards, as
// two instances of one API: a proof used at one is refused at the other,
// and of 20 requests racing one proof over both, one passes. A guard of
// another namespace, such as an API behind the gateway, checks the same
// proof on its own.
func TestDPoPReplayRedis(t *testing.T) {
	url := os.Getenv("PORTCULLIS_TEST_REDIS")
	if url == "" {
		t.Skip("PORTCULLIS_TEST_REDIS is not set (e.g. redis://127.0.0.1:6379/0); skipping the shared replay cache test")
	}
	rs, err := redisstate.Open(t.Context(), url, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	iss := newIssuer(t)
	s := dpoptest.NewSigner(t)
	token := iss.BoundToken("list:users", s.JKT)
	// A namespace of this run's own: marks expire within two minutes.
	ns := "guard-test-" + rand.Text()
	var instances []http.Handler
	for range 2 {
		instances = append(instances, dpopGuard(t, iss.URL, guard.DPoP{Mode: guard.DPoPAllowed, Replay: rs.DPoPReplay(ns)}).Middleware(whoami))
	}
	upstream := dpopGuard(t, iss.URL, guard.DPoP{Mode: guard.DPoPAllowed, Replay: rs.DPoPReplay(ns + "-upstream")}).Middleware(whoami)
	req := dpoptest.Request{Method: http.MethodGet, URL: testAPI + "/users", AccessToken: token}

	proof := s.Proof(req)
	if w := send(instances[0], http.MethodGet, "/users", "DPoP "+token, proof); w.Code != http.StatusOK {
		t.Fatalf("first use: status %d, %s", w.Code, w.Body)
	}
	checkRefusal(t, send(instances[1], http.MethodGet, "/users", "DPoP "+token, proof),
		refusal{status: http.StatusUnauthorized, schemes: "Bearer DPoP", on: "DPoP", code: dpop.CodeInvalidProof})
	if w := send(upstream, http.MethodGet, "/users", "DPoP "+token, proof); w.Code != http.StatusOK {
		t.Errorf("the same proof in another namespace: status %d, %s", w.Code, w.Body)
	}

	if wins, replays := race(t, 20, instances, "DPoP "+token, s.Proof(req)); wins != 1 || replays != 19 {
		t.Fatalf("20 requests racing one proof over two instances: %d accepted, %d refused; want 1 and 19", wins, replays)
	}
}

// failingReplay is a replay cache that cannot answer, as Redis down.
type failingReplay struct{}

func (failingReplay) UseOnce(context.Context, string, time.Time) error {
	return errors.New("replay cache unreachable")
}

// TestDPoPReplayUnavailable: when the replay cache cannot say whether a
// proof was used, the request is neither accepted nor blamed on the
// client: 503, without a challenge.
func TestDPoPReplayUnavailable(t *testing.T) {
	iss := newIssuer(t)
	s := dpoptest.NewSigner(t)
	token := iss.BoundToken("list:users", s.JKT)
	req := dpoptest.Request{Method: http.MethodGet, URL: testAPI + "/users", AccessToken: token}
	down := dpopGuard(t, iss.URL, guard.DPoP{Mode: guard.DPoPAllowed, Replay: failingReplay{}}).Middleware(whoami)
	full := dpopGuard(t, iss.URL, guard.DPoP{Mode: guard.DPoPAllowed, Replay: dpop.NewMemoryReplay(1, nil)}).Middleware(whoami)
	if w := send(full, http.MethodGet, "/users", "DPoP "+token, s.Proof(req)); w.Code != http.StatusOK {
		t.Fatalf("first proof: status %d", w.Code)
	}
	for name, h := range map[string]http.Handler{"cache down": down, "cache full": full} {
		t.Run(name, func(t *testing.T) {
			w := send(h, http.MethodGet, "/users", "DPoP "+token, s.Proof(req))
			checkRefusal(t, w, refusal{status: http.StatusServiceUnavailable, code: guard.CodeTemporarilyUnavailable})
		})
	}
}
