package gateway

import (
	"net/http"
	"net/netip"
	"strconv"

	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/internal/clientaddr"
	"github.com/portcullis/portcullis/usage"
)

// limiter applies the routes' rate limits (Route.RateLimit and
// Route.RateLimitPerAddress) with one usage.Gate.
type limiter struct {
	gate    *usage.Gate
	trusted []netip.Prefix
}

// perCaller counts the requests of each caller, the token's client and
// subject, on route i against l. It runs after the guard and the scope
// check, so only requests that would be forwarded count, and a caller has
// proved its token: an outage of the shared limiter lets it through.
func (lm limiter) perCaller(i int, path string, l usage.Limit, next http.Handler) http.Handler {
	if !l.Enabled() {
		return next
	}
	rule := usage.LimitRule{Name: usage.LimitGatewayCaller, Limit: l, Outage: usage.FailOpen}
	route := strconv.Itoa(i) + ":"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := guard.CallerFromContext(r.Context())
		if !ok {
			// The guard runs first; without a caller nothing is forwarded.
			next.ServeHTTP(w, r)
			return
		}
		// The client ID's length keeps "ab"+"c" apart from "a"+"bc".
		id, sub := c.ClientID(), c.Subject()
		key := route + strconv.Itoa(len(id)) + ":" + id + sub
		who := usage.Event{Route: path, ClientID: id, Subject: sub, Address: clientaddr.Of(r, lm.trusted).String()}
		if d := lm.gate.Allow(r.Context(), rule, key, who); !d.Allowed {
			tooMany(w, d, "this caller sent too many requests on this route; retry after Retry-After seconds")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// perAddress counts the requests of each client address (an IPv6 /64) on
// route i against l, before anything else, so that requests with bad
// tokens count too. Its callers have proved nothing: during an outage of
// the shared limiter each instance's memory decides. cors, if not nil,
// sets the CORS headers of a cookie route on a refusal, so that the
// browser app can read it.
func (lm limiter) perAddress(i int, path string, l usage.Limit, cors func(http.ResponseWriter, *http.Request), next http.Handler) http.Handler {
	if !l.Enabled() {
		return next
	}
	rule := usage.LimitRule{Name: usage.LimitGatewayAddress, Limit: l}
	route := strconv.Itoa(i) + ":"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := clientaddr.Of(r, lm.trusted)
		if d := lm.gate.Allow(r.Context(), rule, route+clientaddr.Key(addr), usage.Event{Route: path, Address: addr.String()}); !d.Allowed {
			if cors != nil {
				cors(w, r)
			}
			tooMany(w, d, "too many requests from this address on this route; retry after Retry-After seconds")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// tooMany answers a request over a rate limit: 429 too_many_requests in
// the gateway's JSON, with Retry-After and the RateLimit headers, exposed
// to browsers.
func tooMany(w http.ResponseWriter, d usage.Decision, description string) {
	d.SetHeaders(w.Header())
	w.Header().Set("Access-Control-Expose-Headers", usage.ExposedHeaders)
	reply(w, http.StatusTooManyRequests, "too_many_requests", description)
}
