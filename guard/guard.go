package guard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/portcullis/portcullis/internal/authscheme"
	"github.com/portcullis/portcullis/internal/backoff"
	"github.com/portcullis/portcullis/internal/tokencache"
)

// Guard validates bearer access tokens for a resource server (RFC 6750,
// RFC 9068, RFC 7662). Build it with New, wrap handlers with Middleware and
// RequireScopes, and Close it when the server stops. It is safe for
// concurrent use.
type Guard struct {
	s            settings
	keys         *keySet
	revocations  *revocations // nil when the issuer publishes no list or polling is off
	introspector *introspector
	cache        *tokencache.Cache[entry]
	proofs       *proofs // nil without Options.DPoP.PublicURL
	// ready guards the fields the first fetches set (keys, revocations,
	// introspector, s.algorithms): none is read before it is ready.
	ready backoff.Start

	stop context.CancelFunc
	wg   sync.WaitGroup
}

// New builds a Guard for opts. It reads the issuer's discovery document,
// fetches its key set and, when the issuer publishes one, its revocation
// list, so that the first request is served from memory; ctx bounds that
// start-up work. It fails when a security decision is left open (see
// Options) or, unless Options.RetryStart is set, when the issuer cannot be
// read. Background refreshes run until Close.
func New(ctx context.Context, opts Options) (*Guard, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	s, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	p, err := newProofs(s.DPoP, s.Clock)
	if err != nil {
		return nil, err
	}
	bg, stop := context.WithCancel(context.Background())
	g := &Guard{s: s, cache: tokencache.New[entry](s.CacheSize), proofs: p, stop: stop}
	first := g.setUp(ctx, bg)
	switch {
	case first == nil:
		g.ready.MarkReady()
	case !s.RetryStart:
		stop()
		return nil, first
	default:
		// Up to KeyRefreshMin, the retry delay of a key set fetch, which
		// is what the first fetches are.
		sched := backoff.Schedule{Base: min(backoff.Issuer.Base, s.KeyRefreshMin), Max: s.KeyRefreshMin}
		g.wg.Go(func() {
			g.ready.Retry(bg, sched, first, func(ctx context.Context) error { return g.setUp(ctx, bg) }, s.Logger, "guard")
		})
	}
	return g, nil
}

// setUp reads the issuer's discovery document and settles the algorithms,
// then starts. Nothing it sets is read before g.ready says so.
func (g *Guard) setUp(ctx, bg context.Context) error {
	m, err := discover(ctx, g.s.HTTPClient, g.s.Issuer)
	if err != nil {
		return err
	}
	if err := g.s.pickAlgorithms(m.SigningAlgorithms); err != nil {
		return err
	}
	return g.start(ctx, bg, m)
}

// Ready returns nil once the guard has read its issuer, and until then an
// error wrapping ErrNotReady and the last failure to read it: only a guard
// built with Options.RetryStart is ever not ready. A server reports it on
// its readiness check.
func (g *Guard) Ready() error {
	switch f := g.ready.Failure(); {
	case g.ready.Ready():
		return nil
	case f == nil:
		return ErrNotReady
	default:
		return fmt.Errorf("%w: %w", ErrNotReady, f)
	}
}

// start performs the first fetches and launches the background work.
func (g *Guard) start(ctx, bg context.Context, m *metadata) error {
	s := g.s
	g.keys = &keySet{url: m.JWKSURI, client: s.HTTPClient, log: s.Logger, now: s.Clock, lo: s.KeyRefreshMin, hi: s.KeyRefreshMax, ctx: bg}
	next, err := g.keys.fetch(ctx)
	if err != nil {
		return err
	}
	if s.Introspection.ClientID != "" {
		if g.introspector, err = newIntrospector(bg, m.IntrospectionEndpoint, s.HTTPClient, s.Introspection); err != nil {
			return err
		}
	}
	if s.RevocationInterval > 0 && m.RevocationList != "" {
		endpoint, err := url.Parse(m.RevocationList)
		if err != nil {
			return fmt.Errorf("%w: portcullis_revocation_list_endpoint: %w", ErrDiscovery, err)
		}
		g.revocations = &revocations{endpoint: endpoint, client: s.HTTPClient, log: s.Logger, now: s.Clock, leeway: s.Leeway}
		if err := g.revocations.poll(ctx); err != nil {
			return err
		}
		g.wg.Go(func() { g.revocations.run(bg, s.RevocationInterval) })
	}
	g.wg.Go(func() { g.keys.run(next) })
	return nil
}

// Close stops the background refreshes and waits for them to end.
func (g *Guard) Close() {
	g.stop()
	g.wg.Wait()
}

// Middleware returns next wrapped so that it only sees requests with a
// valid token, whose Caller it finds with CallerFromContext: a bearer
// token, or a token bound to a key under the DPoP scheme with a proof of
// that key, as Options.DPoP.Mode admits. Other requests are answered as
// RFC 6750 section 3 and RFC 9449 section 7.1 say, with one
// WWW-Authenticate challenge per accepted scheme, the error on the
// challenge of the scheme the request used: 401 without an error code when
// there is no token, 400 invalid_request for a malformed Authorization
// header, 401 invalid_token for a bad token or a token under the wrong
// scheme, 401 invalid_dpop_proof or use_dpop_nonce for a refused proof,
// and 503 when an opaque token cannot be introspected, or a proof checked
// against the replay cache, now. Tokens are read from the Authorization
// header only (RFC 6750 section 2.1); the form and query methods of
// sections 2.2 and 2.3 are not supported.
func (g *Guard) Middleware(next http.Handler) http.Handler {
	return g.MiddlewareWith(g.s.DPoP.Mode)(next)
}

// MiddlewareWith returns Middleware accepting the schemes of mode instead
// of Options.DPoP.Mode's, for servers whose routes differ, as the
// gateway's do. It panics if mode is not a DPoPMode, or is not DPoPOff
// while Options.DPoP.PublicURL is empty: that is a wiring mistake, found
// at start-up.
func (g *Guard) MiddlewareWith(mode DPoPMode) func(http.Handler) http.Handler {
	if err := (DPoP{Mode: mode, PublicURL: g.s.DPoP.PublicURL}).check(); err != nil {
		panic(fmt.Sprintf("guard: MiddlewareWith(%v): %v", mode, err))
	}
	ch := authscheme.Challenge{Realm: g.s.Realm, Bearer: mode != DPoPRequired}
	if mode != DPoPOff {
		ch.Algs = g.proofs.algs
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			caller, used, err := g.authenticate(r, mode)
			if ch.Algs != "" && (used == authscheme.DPoP || err != nil) {
				g.proofs.nonce(w.Header())
			}
			if err != nil {
				answer := ch
				answer.Used = used
				g.reject(w, err, answer)
				g.observe(r, caller, err)
				return
			}
			j := &judged{Context: r.Context(), guard: g, caller: caller}
			in := r.WithContext(j)
			if g.s.Observe != nil {
				// Deferred, so that a handler that aborts (an
				// upstream cut mid-body) is reported too.
				defer func() { g.s.Observe(in, caller, j.refusal) }()
			}
			next.ServeHTTP(w, in)
		})
	}
}

// authenticate finds and verifies the request's token, and its proof
// under the DPoP scheme, as mode admits them. It also returns the scheme
// the request used, whose challenge carries the error, and, with an error
// found after the token verified (its binding, its proof), the token's
// Caller, for Options.Observe.
func (g *Guard) authenticate(r *http.Request, mode DPoPMode) (*Caller, authscheme.Scheme, error) {
	if !g.ready.Ready() {
		// Every request, with a token or without: until the issuer is
		// read, no answer but "later" is true.
		return nil, authscheme.None, g.notReady(g.s.Clock())
	}
	used, token, err := credentials(r.Header)
	if used == authscheme.DPoP && mode == DPoPOff {
		// To an API without DPoP, the scheme is any other.
		used, err = authscheme.None, ErrNoToken
	}
	switch {
	case errors.Is(err, ErrNoToken):
		// RFC 6750 section 3.1: no error code when no token was sent.
		return nil, used, &Error{Status: http.StatusUnauthorized, Description: describe(err), Err: err}
	case err != nil:
		return nil, used, newError(http.StatusBadRequest, CodeInvalidRequest, err, nil)
	case used == authscheme.Bearer && mode == DPoPRequired:
		return nil, used, invalidToken(ErrDPoPRequired, nil)
	}
	c, err := g.verify(r.Context(), token)
	switch {
	case err != nil:
	case used == authscheme.Bearer && c.jkt != "":
		// RFC 9449 section 7.2: a bound token is no bearer token.
		err = invalidToken(ErrTokenBound, nil)
	case used == authscheme.DPoP && c.jkt == "":
		err = invalidToken(ErrTokenNotBound, nil)
	case used == authscheme.DPoP:
		// The proof is checked on every request, the token's cache hit
		// or not: each proof is for one request.
		err = g.proofs.check(r, token, c.jkt)
	}
	return c, used, err
}

// reject writes err, an *Error from authenticate or a scope check, with
// the challenges ch describes.
func (g *Guard) reject(w http.ResponseWriter, err error, ch authscheme.Challenge) {
	var e *Error
	if !errors.As(err, &e) {
		e = newError(http.StatusUnauthorized, CodeInvalidToken, ErrMalformedToken, err)
	}
	g.s.Logger.Debug("guard: request refused", "status", e.Status, "reason", e.Err)
	e.write(w, ch)
}

// Verify validates a bearer token, as the middleware does, and returns its
// Caller. It is for servers that receive tokens outside an HTTP
// Authorization header. Errors are *Error values wrapping one of the
// package's sentinel errors. A token bound to a key (cnf.jkt, RFC 9449) is
// refused with ErrTokenBound: without the request's proof nothing shows
// that the caller holds the key.
//
// A token seen before is answered from a cache keyed by its SHA-256, for no
// longer than its exp, and still refused if it is revoked meanwhile or its
// signing key leaves the issuer's key set. JWTs (RFC 9068) are verified
// locally; other tokens are introspected (RFC 7662) when
// Options.Introspection is set.
func (g *Guard) Verify(ctx context.Context, token string) (*Caller, error) {
	c, err := g.verify(ctx, token)
	switch {
	case err != nil:
		return nil, err
	case c.jkt != "":
		return nil, invalidToken(ErrTokenBound, nil)
	}
	return c, nil
}

// verify is Verify without the refusal of bound tokens, which the
// middleware checks against the request's scheme and proof. A token
// refused as revoked or expired comes with its Caller, for
// Options.Observe: its signature verified, so the claims are the
// issuer's, and usage.RuleRevokedTokenUse needs its jti and client.
func (g *Guard) verify(ctx context.Context, token string) (*Caller, error) {
	now := g.s.Clock()
	if !g.ready.Ready() {
		return nil, g.notReady(now)
	}
	k := tokencache.KeyOf(token)
	if e, ok := g.cache.Get(k, now.UnixNano()); ok && (!e.jwt || e.gen == g.keys.current.Load().gen) {
		if e.caller == nil {
			return nil, invalidToken(ErrInactive, nil)
		}
		return g.admit(e.caller)
	}
	if !validToken68(token) {
		return nil, invalidToken(ErrMalformedToken, nil)
	}
	if !isJWT(token) {
		if g.introspector == nil {
			return nil, invalidToken(ErrMalformedToken, errors.New("not a JWT and introspection is not configured"))
		}
		c, err := g.introspect(ctx, token, k)
		if err != nil {
			return nil, err
		}
		return g.admit(c)
	}
	c, gen, err := g.verifyJWT(ctx, token, now)
	if err != nil {
		return c, err
	}
	g.cache.Put(k, entry{caller: c, jwt: true, gen: gen}, c.expiresAt.UnixNano(), now.UnixNano())
	return g.admit(c)
}

// admit refuses a caller whose token the issuer has revoked since,
// returning the caller with the error (see verify).
func (g *Guard) admit(c *Caller) (*Caller, error) {
	if g.revocations != nil && g.revocations.isRevoked(c) {
		return c, invalidToken(ErrRevoked, nil)
	}
	return c, nil
}

// Algorithms returns the JWS algorithms the guard accepts, as resolved from
// Options.Algorithms or the issuer's discovery document; none while the
// guard is not Ready.
func (g *Guard) Algorithms() []string {
	if !g.ready.Ready() {
		// Not settled yet: they come with the discovery document.
		return nil
	}
	algs := make([]string, len(g.s.algorithms))
	for i, a := range g.s.algorithms {
		algs[i] = string(a)
	}
	return algs
}
