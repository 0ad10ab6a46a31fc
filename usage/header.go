package usage

import (
	"net/http"
	"strconv"
	"time"

	"github.com/portcullis/portcullis/internal/ratelimit"
)

// ExposedHeaders are the headers of a refusal, for
// Access-Control-Expose-Headers where browsers call.
const ExposedHeaders = "Retry-After, RateLimit-Policy, RateLimit"

// SetHeaders sets the headers of a refused request on h: Retry-After
// (RFC 9110 section 10.2.3), and RateLimit-Policy and RateLimit as
// draft-ietf-httpapi-ratelimit-headers-11 sections 3 and 4 define them,
// Structured Field lists of one item named for the rule:
//
//	Retry-After: 6
//	RateLimit-Policy: "token";q=10;w=60
//	RateLimit: "token";r=0;t=6
//
// q and w are the rule's rate and period in seconds; r is the available
// quota, none, and t the effective window, the same whole seconds as
// Retry-After, which so does not end before it (section 6). Under GCRA a
// burst may exceed q within w; the policy states the sustained rate.
// Allowed requests get no headers: the draft makes them optional
// (section 6.2), and they would cost every request some bytes.
func (d Decision) SetHeaders(h http.Header) {
	retry := ratelimit.RetryAfter(d.RetryAfter)
	name := strconv.Quote(d.Rule.Name) // LimitNames are plain ASCII: a valid sf-string
	h.Set("Retry-After", retry)
	h.Set("RateLimit-Policy", name+";q="+strconv.Itoa(d.Rule.Limit.Rate)+";w="+strconv.FormatInt(int64(d.Rule.Limit.Period/time.Second), 10))
	h.Set("RateLimit", name+";r="+strconv.Itoa(d.Remaining)+";t="+retry)
}
