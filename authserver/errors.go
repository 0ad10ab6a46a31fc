package authserver

import (
	"encoding/json"
	"net/http"
)

// Error is an OAuth 2.0 error response (RFC 6749 section 5.2). It carries the
// HTTP status and renders itself, so handlers return it instead of writing
// responses on every error path.
type Error struct {
	// Code is the RFC 6749 "error" value, for example "invalid_client".
	Code string `json:"error"`
	// Description is the human-readable "error_description". It never
	// contains a secret or a token.
	Description string `json:"error_description,omitempty"`
	// Status is the HTTP status code of the response.
	Status int `json:"-"`
	// basicChallenge marks an invalid_client error for a client that sent
	// HTTP Basic credentials: RFC 6749 section 5.2 then requires 401 with a
	// WWW-Authenticate challenge.
	basicChallenge bool
	// retryAfter, if set, is the Retry-After header's value.
	retryAfter string
	// cause is the error behind this one, for errors.As: the
	// *http.MaxBytesError of a body over the limit.
	cause error
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

// Unwrap returns the error behind e, if any.
func (e *Error) Unwrap() error { return e.cause }

// Render writes e as a JSON response that must not be cached.
func (e *Error) Render(w http.ResponseWriter) {
	if rec, ok := w.(interface{ setOAuthError(string) }); ok {
		rec.setOAuthError(e.Code)
	}
	if e.basicChallenge {
		w.Header().Set("WWW-Authenticate", `Basic realm="portcullis", charset="UTF-8"`)
	}
	if e.retryAfter != "" {
		w.Header().Set("Retry-After", e.retryAfter)
	}
	writeJSON(w, e.Status, e)
}

func newError(status int, code, description string) *Error {
	return &Error{Code: code, Description: describe(description), Status: status}
}

// describe keeps an error_description within the characters RFC 6749
// section 5.2 allows (%x20-21 / %x23-5B / %x5D-7E): quotes become
// apostrophes and anything else, such as echoed non-ASCII input, becomes
// '?'.
func describe(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c == '"':
			b[i] = '\''
		case c < 0x20 || c == '\\' || c > 0x7e:
			b[i] = '?'
		}
	}
	return string(b)
}

// Constructors for the error codes of RFC 6749 section 5.2, RFC 8707
// section 2 (invalid_target) and RFC 7009 section 2.2.1.
func errInvalidRequest(desc string) *Error {
	return newError(http.StatusBadRequest, "invalid_request", desc)
}
func errInvalidGrant(desc string) *Error {
	return newError(http.StatusBadRequest, "invalid_grant", desc)
}
func errInvalidScope(desc string) *Error {
	return newError(http.StatusBadRequest, "invalid_scope", desc)
}
func errInvalidTarget(desc string) *Error {
	return newError(http.StatusBadRequest, "invalid_target", desc)
}
func errUnauthorizedClient(desc string) *Error {
	return newError(http.StatusBadRequest, "unauthorized_client", desc)
}
func errUnsupportedGrantType(desc string) *Error {
	return newError(http.StatusBadRequest, "unsupported_grant_type", desc)
}
func errServer() *Error {
	return newError(http.StatusInternalServerError, "server_error", "the server could not complete the request")
}

// errBusy answers a request whose write waited too long for a lock another
// one held: 503 temporarily_unavailable with Retry-After, since the same
// request is likely to succeed a moment later.
func errBusy() *Error {
	e := newError(http.StatusServiceUnavailable, "temporarily_unavailable", "the server is busy; retry in a moment")
	e.retryAfter = "1"
	return e
}

// errInvalidClient is always 401: RFC 6749 allows it for every
// authentication method and requires it for HTTP Basic.
func errInvalidClient(desc string, basic bool) *Error {
	e := newError(http.StatusUnauthorized, "invalid_client", desc)
	e.basicChallenge = basic
	return e
}

// writeJSON writes v with the headers every token-bearing response needs
// (RFC 6749 section 5.1): no caching anywhere.
func writeJSON(w http.ResponseWriter, status int, v any) {
	setJSONHeaders(w.Header())
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeJSONBytes is writeJSON for a body already encoded.
func writeJSONBytes(w http.ResponseWriter, status int, body []byte) {
	setJSONHeaders(w.Header())
	w.WriteHeader(status)
	w.Write(body)
}

// The header values of JSON answers, shared read-only by every response:
// assigning them spares three allocations a request, and a handler that
// adds a value appends to a full slice, which copies it first.
var (
	jsonContentType = []string{"application/json"}
	noStore         = []string{"no-store"}
	noCache         = []string{"no-cache"}
)

// setJSONHeaders marks an answer JSON and never to be cached (RFC 6749
// section 5.1).
func setJSONHeaders(h http.Header) {
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	h["Pragma"] = noCache
}
