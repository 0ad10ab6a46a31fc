package guard

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis/portcullis/internal/authscheme"
)

// Error codes of RFC 6750 section 3.1, and the one the middleware uses when
// the issuer cannot be reached (borrowed from RFC 6749 section 4.1.2.1).
const (
	CodeInvalidRequest         = "invalid_request"
	CodeInvalidToken           = "invalid_token"
	CodeInsufficientScope      = "insufficient_scope"
	CodeTemporarilyUnavailable = "temporarily_unavailable"
	// CodeInsufficientUserAuthentication is RFC 9470 section 3's: the
	// user's sign-in is too weak or too old for the route.
	CodeInsufficientUserAuthentication = "insufficient_user_authentication"
)

// Error is a rejected request as RFC 6750 section 3 describes it. It carries
// the HTTP status, the error code, a description and, for
// insufficient_scope, the scopes the route needs, or, for
// insufficient_user_authentication (RFC 9470 section 3), the sign-in it
// needs, and renders itself as a
// WWW-Authenticate challenge with a JSON body. Err holds the sentinel (and
// detail) so callers can branch with errors.Is.
type Error struct {
	// Status is the HTTP status: 400, 401, 403 or 503.
	Status int
	// Code is the RFC 6750 error code; empty when the request carried no
	// token at all (section 3.1: no error information in that case).
	Code string
	// Description is a short human-readable text. It never quotes the
	// token or anything else the client sent.
	Description string
	// Scope is the space-separated list of scopes the route requires, set
	// with insufficient_scope.
	Scope string
	// ACRValues is the space-separated list of authentication context
	// classes the route accepts, and MaxAge the longest time since the
	// user's sign-in, set with insufficient_user_authentication when the
	// route requires them (RFC 9470 section 3). MaxAge is sent in whole
	// seconds; zero sends none.
	ACRValues string
	MaxAge    time.Duration
	// Err is the reason, one of the package's sentinel errors, possibly
	// wrapped with detail.
	Err error
	// RetryAfter, with a 503, is when to try again, sent as Retry-After
	// in whole seconds (RFC 9110 section 10.2.3). Zero sends none.
	RetryAfter time.Duration
}

// Error returns the reason with its detail.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the reason so that errors.Is finds the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// Write sends the error with a Bearer challenge for realm, as an API
// that accepts bearer tokens only answers: the status, a WWW-Authenticate
// challenge (RFC 6750 section 3) unless the status is 503, and a JSON body
// with the error, error_description, scope, acr_values and max_age
// members. The realm must not
// contain quotes or backslashes; New checks that for Options.Realm.
func (e *Error) Write(w http.ResponseWriter, realm string) {
	e.write(w, authscheme.Challenge{Realm: realm, Bearer: true})
}

// write sends the error with the challenges c offers, unless the status is
// 503, which challenges nothing.
func (e *Error) write(w http.ResponseWriter, c authscheme.Challenge) {
	h := w.Header()
	if e.Status != http.StatusServiceUnavailable {
		// Every value is validated or constant (see describe, New and
		// RequireScopes), as Challenge needs.
		c.Code, c.Description, c.Scope = e.Code, e.Description, e.Scope
		c.ACRValues, c.MaxAge = e.ACRValues, e.MaxAge
		c.Set(h)
	}
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Round(time.Second)/time.Second)))
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(e.Status)
	// The body mirrors the challenge; an encoding error here could only be
	// a write error to a client that went away, which nothing can report.
	_ = json.NewEncoder(w).Encode(struct {
		Error       string `json:"error,omitempty"`
		Description string `json:"error_description,omitempty"`
		Scope       string `json:"scope,omitempty"`
		ACRValues   string `json:"acr_values,omitempty"`
		MaxAge      int64  `json:"max_age,omitempty"`
	}{e.Code, e.Description, e.Scope, e.ACRValues, int64(e.MaxAge / time.Second)})
}

// describe turns a sentinel into the error_description sent to clients.
// Sentinels are constant texts made only of characters RFC 6750 section 3
// allows in error_description, so nothing the client sent is reflected.
func describe(reason error) string {
	return strings.TrimPrefix(reason.Error(), "guard: ")
}

// newError builds an *Error for reason, with cause as detail when given. A
// cause that already wraps reason is kept as it is rather than wrapped
// twice.
func newError(status int, code string, reason, cause error) *Error {
	err := reason
	switch {
	case errors.Is(cause, reason):
		err = cause
	case cause != nil:
		err = fmt.Errorf("%w: %w", reason, cause)
	}
	return &Error{Status: status, Code: code, Description: describe(reason), Err: err}
}

// notReady is the 503 of a guard that has not read its issuer yet: it
// says when the next attempt is.
func (g *Guard) notReady(now time.Time) *Error {
	e := newError(http.StatusServiceUnavailable, CodeTemporarilyUnavailable, ErrNotReady, g.ready.Failure())
	e.RetryAfter = g.ready.RetryAfter(now)
	return e
}

// invalidToken is the 401 invalid_token answer of RFC 6750 section 3.1.
func invalidToken(reason, cause error) *Error {
	return newError(http.StatusUnauthorized, CodeInvalidToken, reason, cause)
}
