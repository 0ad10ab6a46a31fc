package guard_test

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/dpop/dpoptest"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/guard/guardtest"
)

// The benchmarks go through the middleware as a server would, each next to
// BenchmarkES256Verify, the bare signature check they are measured against.

// BenchmarkES256Verify is the baseline: ecdsa.Verify of one access
// token's signature, with nothing around it.
func BenchmarkES256Verify(b *testing.B) {
	iss := newIssuer(b)
	token := iss.Token("list:users")
	_, key := iss.SigningKey()
	i := strings.LastIndex(token, ".")
	digest := sha256.Sum256([]byte(token[:i]))
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	b.ReportAllocs()
	for b.Loop() {
		if !ecdsa.Verify(&key.PublicKey, digest[:], r, s) {
			b.Fatal("signature does not verify")
		}
	}
}

// BenchmarkSeenJWT serves a JWT the guard has verified before.
func BenchmarkSeenJWT(b *testing.B) {
	iss := newIssuer(b)
	g := newGuard(b, iss.URL)
	benchmarkRequests(b, g, []string{iss.Token("list:users")})
}

// BenchmarkNewJWT serves a different, never seen ES256 JWT on every
// request.
func BenchmarkNewJWT(b *testing.B) {
	iss := newIssuer(b)
	g := newGuard(b, iss.URL)
	tokens := make([]string, b.N)
	for i := range tokens {
		tokens[i] = iss.Token("list:users")
	}
	benchmarkRequests(b, g, tokens)
}

// BenchmarkSeenJWTStepUp is BenchmarkSeenJWT behind RequireAuthentication
// too (RFC 9470): the route reads the token's acr and auth_time, which the
// guard parses only for routes that ask.
func BenchmarkSeenJWTStepUp(b *testing.B) {
	iss := newIssuer(b)
	g := newGuard(b, iss.URL)
	claims := guardtest.SignedIn(iss.Claims("list:users"), "mfa", []string{"pwd", "otp", "mfa"}, time.Now())
	token := iss.Sign(nil, claims)
	stepUp := g.RequireAuthentication(guard.StepUp{ACR: []string{"mfa", "phr"}, MaxAge: time.Hour})
	benchmarkHandler(b, g, stepUp, []string{token})
}

// BenchmarkCachedIntrospection serves an opaque token whose introspection
// answer is cached.
func BenchmarkCachedIntrospection(b *testing.B) {
	iss := newIssuer(b)
	g := newGuard(b, iss.URL, withIntrospection(newClock()))
	benchmarkRequests(b, g, []string{iss.OpaqueToken("list:users")})
}

// BenchmarkDPoPSeenJWT serves a bound JWT the guard has verified before,
// each request with a proof of its own, as RFC 9449 has it: on top of
// BenchmarkSeenJWT, the proof's parsing and ES256 signature, its claims,
// ath and a mark in the in-memory replay cache.
func BenchmarkDPoPSeenJWT(b *testing.B) {
	iss := newIssuer(b)
	// Room for every proof of the run, so that none is refused as the
	// cache fills.
	g := dpopGuard(b, iss.URL, guard.DPoP{Mode: guard.DPoPAllowed, Replay: dpop.NewMemoryReplay(1<<22, nil)})
	h := g.Middleware(g.RequireScopes("list:users")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	s := dpoptest.NewSigner(b)
	token := iss.BoundToken("list:users", s.JKT)
	reqs := make([]*http.Request, b.N+1)
	for i := range reqs {
		reqs[i] = httptest.NewRequest(http.MethodGet, "/users", nil)
		reqs[i].Header.Set("Authorization", "DPoP "+token)
		reqs[i].Header.Set("DPoP", s.Proof(dpoptest.Request{Method: http.MethodGet, URL: testAPI + "/users", AccessToken: token}))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, reqs[b.N])
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.ServeHTTP(w, reqs[i])
	}
	b.StopTimer()
	if w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

// benchmarkRequests sends b.N requests through the middleware and a
// RequireScopes check, cycling through tokens. The first request of each
// token is made before the timer starts only when there is a single token
// (the seen-before case).
func benchmarkRequests(b *testing.B, g *guard.Guard, tokens []string) {
	benchmarkHandler(b, g, func(h http.Handler) http.Handler { return h }, tokens)
}

// benchmarkHandler serves tokens through the middleware, RequireScopes and
// route, as a route of an API would.
func benchmarkHandler(b *testing.B, g *guard.Guard, route func(http.Handler) http.Handler, tokens []string) {
	h := g.Middleware(g.RequireScopes("list:users")(route(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))))
	reqs := make([]*http.Request, len(tokens))
	for i, tok := range tokens {
		reqs[i] = httptest.NewRequest(http.MethodGet, "/users", nil)
		reqs[i].Header.Set("Authorization", "Bearer "+tok)
	}
	w := httptest.NewRecorder()
	if len(reqs) == 1 {
		h.ServeHTTP(w, reqs[0])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.ServeHTTP(w, reqs[i%len(reqs)])
	}
	b.StopTimer()
	if w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
}
