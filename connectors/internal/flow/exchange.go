package flow

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/connectors"
)

// Timeout bounds every request of a connector whose caller gave an HTTP
// client without a timeout.
const Timeout = 10 * time.Second

// Client returns c, or a copy of it bounded by Timeout when it has none,
// or a new client with Timeout when c is nil: an upstream that stops
// answering must not hold a sign-in, or a background key refresh, forever.
func Client(c *http.Client) *http.Client {
	if c == nil {
		return &http.Client{Timeout: Timeout}
	}
	if c.Timeout == 0 {
		cc := *c
		cc.Timeout = Timeout
		return &cc
	}
	return c
}

// Unavailable reports whether an HTTP status means the upstream cannot
// answer now (5xx, 429 Too Many Requests) rather than that it refuses.
func Unavailable(status int) bool {
	return status >= 500 || status == http.StatusTooManyRequests
}

// ExchangeError classifies a failed code exchange at the token endpoint
// (RFC 6749 section 4.1.3). An answer that says the upstream cannot serve
// (5xx, 429) or no answer at all (network, timeout) is connectors.
// ErrUpstream; an error response (section 5.2: invalid_grant for a code
// used twice, invalid_client) or an answer that is not a token response is
// connectors.ErrRefused. Only the status and the bounded error code are
// told: the body may echo the code or the client's credentials.
func ExchangeError(err error) error {
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re) && Unavailable(re.Response.StatusCode):
		return fmt.Errorf("%w: token endpoint answered HTTP %d", connectors.ErrUpstream, re.Response.StatusCode)
	case errors.As(err, &re) && re.ErrorCode != "":
		return fmt.Errorf("%w: token endpoint answered HTTP %d, error %s", connectors.ErrRefused, re.Response.StatusCode, Bound(re.ErrorCode))
	case errors.As(err, &re):
		return fmt.Errorf("%w: token endpoint answered HTTP %d without a token response", connectors.ErrRefused, re.Response.StatusCode)
	case Transport(err):
		return fmt.Errorf("%w: token endpoint: %w", connectors.ErrUpstream, err)
	default:
		return fmt.Errorf("%w: token endpoint: not a token response", connectors.ErrRefused)
	}
}
