package authserver

import (
	"net/http"
	"time"

	"github.com/portcullis/portcullis/internal/clientaddr"
	"github.com/portcullis/portcullis/internal/ratelimit"
)

// Defaults for the limits on pending authorization requests.
const (
	// DefaultPendingPerAddress lets one address (an office behind NAT,
	// an IPv6 /64) start 100 sign-ins it has not finished.
	DefaultPendingPerAddress = 100
	// DefaultPendingTotal bounds what an instance stores for browsers
	// that have not finished signing in: at about 3.5 KB a request, some
	// 35 MB.
	DefaultPendingTotal = 10000
)

// holdPending counts a pending authorization request about to be stored
// under id until until, in the one limiter /authorize and /par share:
// anyone can send either (a public client has no secret), and each call
// stores a request. It says how long to wait when the instance, or the
// address, already holds its share.
//
// A request pushed by a confidential client counts in the total only
// (answerable is true): that client authenticated, and it is typically a
// backend, such as an OAuth Agent, pushing for all its users from one
// address, which a per-address share would let a few of those users use
// up for everyone. Everything else counts against r's client address too.
func (s *Server) holdPending(r *http.Request, id string, until time.Time, answerable bool) (ok bool, retryAfter time.Duration) {
	key := ""
	if !answerable {
		key = clientaddr.Key(clientaddr.Of(r, s.cfg.TrustedProxies))
	}
	return s.pending.Take(key, id, s.cfg.Now(), until)
}

// errTooManyPending is the answer of /par over the limit (RFC 9126
// section 2.3 allows 429), with Retry-After set on w.
func errTooManyPending(w http.ResponseWriter, retryAfter time.Duration) *Error {
	w.Header().Set("Retry-After", ratelimit.RetryAfter(retryAfter))
	return newError(http.StatusTooManyRequests, "temporarily_unavailable",
		"too many authorization requests from this address are pending; retry later")
}
