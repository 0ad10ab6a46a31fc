package authserver

import (
	"fmt"
	"net/http"

	"github.com/portcullis/portcullis/internal/clientaddr"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// RateLimits are the server's rate limits (package usage). Each zero
// Limit limits nothing; the config package fills in the defaults of the
// configuration file.
type RateLimits struct {
	// Token limits each client's requests at the token endpoint, counted
	// once the client has authenticated, so that one client cannot take
	// the server from the others; a public client's, per client address
	// too (limitClient). A client's own store.Client RateLimit, of the
	// file or of the store, replaces it.
	Token usage.Limit
	// Authorize, PAR and SignIn limit per client address (an IPv6 /64)
	// the requests that make the server store or hash something for
	// callers who have proved nothing: GET and POST /authorize, pushes
	// by public clients to /par (a confidential client's pushes are its
	// users', typically from one backend), and POST /login.
	Authorize, PAR, SignIn usage.Limit
	// IntrospectFailures and RevokeFailures limit per client address the
	// refused (4xx) requests at /introspect and /revoke, mostly failed
	// client authentications; an address over the limit is refused before
	// its credentials are checked. Successful calls count nothing.
	IntrospectFailures, RevokeFailures usage.Limit
}

// check returns the first bad limit, naming it: a limit must be valid
// (usage.Limit.Problems) to divide its period by its rate.
func (r RateLimits) check() error {
	limits := map[string]usage.Limit{
		usage.LimitToken: r.Token, usage.LimitAuthorize: r.Authorize, usage.LimitPAR: r.PAR, usage.LimitSignIn: r.SignIn,
		usage.LimitIntrospectFailures: r.IntrospectFailures, usage.LimitRevokeFailures: r.RevokeFailures,
	}
	for name, l := range limits {
		if ps := l.Problems(); len(ps) > 0 {
			return fmt.Errorf("rate limit %s: %s %s", name, ps[0].Field, ps[0].Problem)
		}
	}
	return nil
}

// limitClient counts a token request of client c once it authenticated.
// A confidential client proved who it is: its requests count under its
// ID, and an outage of the shared limiter lets them through. A public
// client proved nothing (anyone may send its client_id), so its requests
// count per client address too, and memory decides during an outage:
// otherwise anyone could use up the allowance of all its users.
func (s *Server) limitClient(r *http.Request, c store.Client) usage.Decision {
	l := s.cfg.RateLimits.Token
	if own := c.RateLimit; own != nil {
		l = usage.Limit{Rate: own.Rate, Period: own.Period, Burst: own.Burst}
	}
	rule, key := usage.LimitRule{Name: usage.LimitToken, Limit: l, Outage: usage.FailOpen}, c.ID
	if c.AuthMethod == store.AuthNone {
		// An address key holds no space, so the key is unambiguous.
		rule.Outage, key = usage.FallBack, clientaddr.Key(clientaddr.Of(r, s.cfg.TrustedProxies))+" "+c.ID
	}
	return s.limits.Allow(r.Context(), rule, key, usage.Event{ClientID: c.ID, Address: s.clientIP(r)})
}

// limitAddress counts a request of r's client address against the
// per-address limit name, which, its callers being unauthenticated, the
// instance's memory decides while the shared limiter cannot.
func (s *Server) limitAddress(r *http.Request, name string, l usage.Limit) usage.Decision {
	if !l.Enabled() {
		return usage.Decision{Result: usage.Result{Allowed: true}}
	}
	addr := clientaddr.Of(r, s.cfg.TrustedProxies)
	return s.limits.Allow(r.Context(), usage.LimitRule{Name: name, Limit: l}, clientaddr.Key(addr), usage.Event{Address: s.clientIP(r)})
}

// errRateLimited answers a request over a rate limit with 429 (RFC 6585
// section 4) and the error temporarily_unavailable, which RFC 6749
// section 4.1.2.1 defines for a server that cannot handle the request
// for now and which OAuth clients know; slow_down (RFC 8628 section 3.5)
// would tell device-flow clients to poll 5 s slower and means nothing to
// others. Retry-After and the RateLimit headers are set on w.
func errRateLimited(w http.ResponseWriter, d usage.Decision, desc string) *Error {
	d.SetHeaders(w.Header())
	return newError(http.StatusTooManyRequests, "temporarily_unavailable", desc)
}

// countFailures applies the failure limit name to h: an address whose
// refused requests have used up the limit is refused before h reads its
// credentials, and every 4xx answer of h counts against it.
func (s *Server) countFailures(name string, l usage.Limit, h http.HandlerFunc) http.HandlerFunc {
	if !l.Enabled() {
		return h
	}
	rule := usage.LimitRule{Name: name, Limit: l}
	return func(w http.ResponseWriter, r *http.Request) {
		key := clientaddr.Key(clientaddr.Of(r, s.cfg.TrustedProxies))
		if d := s.limits.Check(r.Context(), rule, key, usage.Event{Address: s.clientIP(r)}); !d.Allowed {
			errRateLimited(w, d, "too many refused requests from this address; retry after Retry-After seconds").Render(w)
			return
		}
		fw := &failureWriter{ResponseWriter: w, status: http.StatusOK}
		h(fw, r)
		if fw.status >= 400 && fw.status < 500 {
			s.limits.Fail(r.Context(), rule, key)
		}
	}
}

// failureWriter remembers the status of a response, and passes its OAuth
// error code on to the request's recorder for the metrics.
type failureWriter struct {
	http.ResponseWriter
	status int
}

func (f *failureWriter) WriteHeader(status int) {
	f.status = status
	f.ResponseWriter.WriteHeader(status)
}

func (f *failureWriter) setOAuthError(code string) {
	if rec, ok := f.ResponseWriter.(interface{ setOAuthError(string) }); ok {
		rec.setOAuthError(code)
	}
}
