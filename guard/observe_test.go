package guard_test

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/dpop/dpoptest"
	"github.com/portcullis/portcullis/guard"
)

// observation is one call of Options.Observe.
type observation struct {
	pattern, client, outcome string
}

// observer records what Options.Observe is told.
type observer struct {
	mu  sync.Mutex
	got []observation
}

func (o *observer) observe(r *http.Request, c *guard.Caller, err error) {
	ob := observation{pattern: r.Pattern, outcome: guard.Outcome(err)}
	if c != nil {
		ob.client = c.ClientID()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, ob)
}

// take returns and forgets what was recorded.
func (o *observer) take() []observation {
	o.mu.Lock()
	defer o.mu.Unlock()
	got := o.got
	o.got = nil
	return got
}

// TestObserve sends requests the middleware and a RequireScopes inside it
// judge, through a ServeMux, and checks each is reported once, with the
// mux's pattern, the caller whenever its token verified and the outcome.
func TestObserve(t *testing.T) {
	iss := newIssuer(t)
	var o observer
	g := dpopGuard(t, iss.URL, guard.DPoP{Mode: guard.DPoPAllowed}, func(opt *guard.Options) { opt.Observe = o.observe })
	mux := http.NewServeMux()
	mux.Handle("GET /users", g.RequireScopes("list:users")(ok))
	h := g.Middleware(mux)
	signer := dpoptest.NewSigner(t)
	expired := iss.Claims("list:users")
	expired["exp"] = time.Now().Add(-time.Hour).Unix()
	bound := iss.BoundToken("list:users", signer.JKT)
	tests := []struct {
		name          string
		authorization string
		proof         string
		want          observation
	}{
		{"allowed", "Bearer " + iss.Token("list:users"), "", observation{"GET /users", "client-1", guard.OutcomeAllowed}},
		{"insufficient scope", "Bearer " + iss.Token("read:users"), "", observation{"GET /users", "client-1", guard.OutcomeInsufficientScope}},
		{"no token", "", "", observation{"", "", guard.OutcomeNoToken}},
		{"malformed header", "Bearer ", "", observation{"", "", guard.OutcomeInvalidRequest}},
		{"not a token", "Bearer abc.def.ghi", "", observation{"", "", guard.OutcomeInvalidToken}},
		// Expired, and revoked (TestObserveRevoked), tokens verified too:
		// usage.RuleRevokedTokenUse counts their presentations.
		{"expired", "Bearer " + iss.Sign(nil, expired), "", observation{"", "client-1", guard.OutcomeExpired}},
		// The token verified, so its caller is told: a bound token
		// without its proof is worth knowing about.
		{"bound token as bearer", "Bearer " + bound, "", observation{"", "client-1", guard.OutcomeInvalidToken}},
		{"bound token without proof", "DPoP " + bound, "", observation{"", "client-1", guard.OutcomeInvalidDPoPProof}},
		{"bound token with proof", "DPoP " + bound,
			signer.Proof(dpoptest.Request{Method: http.MethodGet, URL: testAPI + "/users", AccessToken: bound}),
			observation{"GET /users", "client-1", guard.OutcomeAllowed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var proofs []string
			if tt.proof != "" {
				proofs = append(proofs, tt.proof)
			}
			send(h, http.MethodGet, "/users", tt.authorization, proofs...)
			if got := o.take(); len(got) != 1 || got[0] != tt.want {
				t.Fatalf("observed %+v, want once %+v", got, tt.want)
			}
		})
	}
}

// TestObserveRevoked reports a revoked token as such once the guard has
// polled the revocation list.
func TestObserveRevoked(t *testing.T) {
	iss := newIssuer(t)
	var o observer
	g := newGuard(t, iss.URL, func(opt *guard.Options) { opt.Observe = o.observe })
	h := g.Middleware(ok)
	token := iss.Token("list:users")
	serve(h, "Bearer "+token)
	iss.Revoke(token)
	g.RefreshRevocations()
	waitFor(t, "the revocation", func() bool { return serve(h, "Bearer "+token).Code == http.StatusUnauthorized })
	got := o.take()
	if last := got[len(got)-1]; last.outcome != guard.OutcomeRevoked || last.client != "client-1" || got[0].outcome != guard.OutcomeAllowed {
		t.Fatalf("observed %+v; want allowed first, revoked last, with its caller", got)
	}
}

// TestObserveScopesAlone reports the refusals of a RequireScopes without
// Middleware around it, which reports nothing else.
func TestObserveScopesAlone(t *testing.T) {
	iss := newIssuer(t)
	var o observer
	g := newGuard(t, iss.URL, func(opt *guard.Options) { opt.Observe = o.observe })
	serve(g.RequireScopes("list:users")(ok), "Bearer "+iss.Token("list:users"))
	if got := o.take(); len(got) != 1 || got[0].outcome != guard.OutcomeNoToken {
		t.Fatalf("observed %+v, want one no_token", got)
	}
}

// TestObserveTwoGuards puts one guard's RequireScopes inside another's
// Middleware: each guard reports to its own hook.
func TestObserveTwoGuards(t *testing.T) {
	iss := newIssuer(t)
	var outer, inner observer
	a := newGuard(t, iss.URL, func(opt *guard.Options) { opt.Observe = outer.observe })
	b := newGuard(t, iss.URL, func(opt *guard.Options) { opt.Observe = inner.observe })
	serve(a.Middleware(b.RequireScopes("list:users")(ok)), "Bearer "+iss.Token("read:users"))
	if got := inner.take(); len(got) != 1 || got[0].outcome != guard.OutcomeInsufficientScope {
		t.Fatalf("inner guard observed %+v, want its own refusal", got)
	}
	if got := outer.take(); len(got) != 1 || got[0].outcome != guard.OutcomeAllowed {
		t.Fatalf("outer guard observed %+v, want the request it let through", got)
	}
}

// TestObserveAbortedHandler reports a request whose handler aborts, as a
// reverse proxy does when the upstream cuts its body.
func TestObserveAbortedHandler(t *testing.T) {
	iss := newIssuer(t)
	var o observer
	g := newGuard(t, iss.URL, func(opt *guard.Options) { opt.Observe = o.observe })
	h := g.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	func() {
		defer func() { recover() }()
		serve(h, "Bearer "+iss.Token("list:users"))
	}()
	if got := o.take(); len(got) != 1 || got[0].outcome != guard.OutcomeAllowed {
		t.Fatalf("observed %+v, want one allowed", got)
	}
}

// TestObserveConcurrent has 50 goroutines send requests, half refused by
// the scope check: each is reported once.
func TestObserveConcurrent(t *testing.T) {
	iss := newIssuer(t)
	var o observer
	g := newGuard(t, iss.URL, func(opt *guard.Options) { opt.Observe = o.observe })
	h := g.Middleware(g.RequireScopes("list:users")(ok))
	tokens := []string{"Bearer " + iss.Token("list:users"), "Bearer " + iss.Token("read:users")}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			for range 20 {
				serve(h, tokens[i%2])
			}
		})
	}
	wg.Wait()
	counts := map[string]int{}
	for _, ob := range o.take() {
		counts[ob.outcome]++
	}
	if counts[guard.OutcomeAllowed] != 500 || counts[guard.OutcomeInsufficientScope] != 500 || len(counts) != 2 {
		t.Fatalf("outcomes %v, want 500 allowed and 500 insufficient_scope", counts)
	}
}

func TestOutcome(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, guard.OutcomeAllowed},
		{"no token", &guard.Error{Status: 401, Err: guard.ErrNoToken}, guard.OutcomeNoToken},
		{"invalid request", &guard.Error{Status: 400, Code: guard.CodeInvalidRequest, Err: guard.ErrMalformedRequest}, guard.OutcomeInvalidRequest},
		{"expired", &guard.Error{Status: 401, Code: guard.CodeInvalidToken, Err: fmt.Errorf("x: %w", guard.ErrExpired)}, guard.OutcomeExpired},
		{"revoked", &guard.Error{Status: 401, Code: guard.CodeInvalidToken, Err: guard.ErrRevoked}, guard.OutcomeRevoked},
		{"signature", &guard.Error{Status: 401, Code: guard.CodeInvalidToken, Err: guard.ErrSignature}, guard.OutcomeInvalidToken},
		{"scope", &guard.Error{Status: 403, Code: guard.CodeInsufficientScope, Err: guard.ErrInsufficientScope}, guard.OutcomeInsufficientScope},
		{"proof", &guard.Error{Status: 401, Code: dpop.CodeInvalidProof, Err: guard.ErrProof}, guard.OutcomeInvalidDPoPProof},
		{"nonce", &guard.Error{Status: 401, Code: dpop.CodeUseNonce, Err: guard.ErrProof}, guard.OutcomeUseDPoPNonce},
		{"unavailable", &guard.Error{Status: 503, Code: guard.CodeTemporarilyUnavailable, Err: guard.ErrUnavailable}, guard.OutcomeUnavailable},
		{"wrapped", fmt.Errorf("gateway: %w", &guard.Error{Status: 401, Code: guard.CodeInvalidToken, Err: guard.ErrRevoked}), guard.OutcomeRevoked},
		{"not an *Error", errors.New("boom"), guard.OutcomeInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := guard.Outcome(tt.err); got != tt.want {
				t.Fatalf("Outcome = %q, want %q", got, tt.want)
			}
		})
	}
}

// BenchmarkSeenJWTObserved is BenchmarkSeenJWT with Options.Observe set
// to a hook that does nothing: the cost of the hook's plumbing.
func BenchmarkSeenJWTObserved(b *testing.B) {
	iss := newIssuer(b)
	g := newGuard(b, iss.URL, func(o *guard.Options) { o.Observe = func(*http.Request, *guard.Caller, error) {} })
	benchmarkRequests(b, g, []string{iss.Token("list:users")})
}
