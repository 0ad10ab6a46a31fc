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
// under id until until against r's client address, in the one limiter
// /authorize and /par share: anyone can send either (a public client has
// no secret), and each call stores a request. It says how long to wait
// when the address or the instance already holds its share.
func (s *Server) holdPending(r *http.Request, id string, until time.Time) (ok bool, retryAfter time.Duration) {
	key := clientaddr.Key(clientaddr.Of(r, s.cfg.TrustedProxies))
	return s.pending.Take(key, id, s.cfg.Now(), until)
}

// errTooManyPending is the answer of /par over the limit (RFC 9126
// section 2.3 allows 429), with Retry-After set on w.
func errTooManyPending(w http.ResponseWriter, retryAfter time.Duration) *Error {
	w.Header().Set("Retry-After", ratelimit.RetryAfter(retryAfter))
	return newError(http.StatusTooManyRequests, "temporarily_unavailable",
		"too many authorization requests from this address are pending; retry later")
}
