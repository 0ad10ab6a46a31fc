package agent

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// Errors of CookieReader.AccessToken, which the agent's endpoints share.
// Branch with errors.Is.
var (
	// ErrUntrustedOrigin means the request's Origin is not a trusted web
	// origin, or it has none and is not a same-origin request either
	// (Sec-Fetch-Site).
	ErrUntrustedOrigin = errors.New("agent: request not from a trusted web origin")
	// ErrMissingCSRFHeader means a data-changing request lacks the
	// "token-handler-version: 1" header, which no cross-site form can send.
	ErrMissingCSRFHeader = errors.New("agent: token-handler-version header missing")
	// ErrNoCookie means the request lacks the cookie.
	ErrNoCookie = errors.New("agent: no cookie")
	// ErrDuplicateCookie means the request carries two cookies of the
	// name. Browsers send a second copy when another path or another host
	// of the domain set one, which may be an attacker's own session
	// planted to make the app work in the attacker's account (cookie
	// tossing), and which copy is the agent's cannot be told. Nothing is
	// deleted: deleting the agent's copy would leave the other in use.
	ErrDuplicateCookie = errors.New("agent: two cookies of one name")
	// ErrInvalidCookie means a cookie was not sealed with any configured
	// key for its name: tampered, truncated, foreign, from a retired key,
	// sealed for another cookie, or in the legacy layout after the
	// transition.
	ErrInvalidCookie = errors.New("agent: cookie cannot be decrypted")
)

// ErrDiscovery means New could not use the provider's discovery document
// (OpenID Connect Discovery 1.0 section 4): unreachable, malformed, for
// another issuer, or lacking what the agent needs.
var ErrDiscovery = errors.New("agent: OpenID provider discovery failed")

// ErrNotReady means the agent has not read its provider's discovery
// document yet (see New); Ready wraps it with the last failure.
var ErrNotReady = errors.New("agent: the OpenID provider has not been reached yet")

// Error codes of the agent's JSON answers, the single-page app's contract.
// 401 always means that a refresh or a new login is the way forward.
const (
	codeInvalidRequest      = "invalid_request"      // 400: malformed body, parameter or page URL
	codeInvalidState        = "invalid_state"        // 400: no login of this browser has that state
	codeInvalidIssuer       = "invalid_issuer"       // 400: iss missing or not the provider's (RFC 9207)
	codeInsufficientScope   = "insufficient_scope"   // 400: the configured scope does not cover userinfo
	codeNotSupported        = "not_supported"        // 400: the provider lacks the endpoint
	codeLoginRequired       = "login_required"       // 401: prompt=none and the user must sign in
	codeNoSession           = "no_session"           // 401: no session cookie
	codeInvalidCookie       = "invalid_cookie"       // 401: a cookie failed decryption; cleared
	codeTokenRejected       = "token_rejected"       // 401: the provider refused the access token
	codeSessionExpired      = "session_expired"      // 401: the provider refused the refresh token
	codeUntrustedOrigin     = "untrusted_origin"     // 403
	codeConflictingCookies  = "conflicting_cookies"  // 403: two cookies of one name, or of two logins
	codeMissingCSRFHeader   = "missing_csrf_header"  // 403
	codeNotFound            = "not_found"            // 404
	codeTooLarge            = "request_too_large"    // 413: the body exceeds the limit
	codeMethodNotAllowed    = "method_not_allowed"   // 405
	codeTooManyRequests     = "too_many_requests"    // 429: too many logins started from one address; see Retry-After
	codeProviderError       = "provider_error"       // 502: the provider answered badly
	codeInvalidIDToken      = "invalid_id_token"     // 502: the ID token failed verification
	codeProviderUnavailable = "provider_unavailable" // 503: the provider could not be reached
)

// apiError is a refused request: the HTTP status and the JSON body
// {"code": ..., "message": ...}. err is the cause, for the log only.
type apiError struct {
	status  int
	code    string
	message string
	err     error
}

func (e *apiError) Error() string {
	if e.err != nil {
		return e.code + ": " + e.message + ": " + e.err.Error()
	}
	return e.code + ": " + e.message
}

func (e *apiError) Unwrap() error { return e.err }

func newError(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

// badRequest is a 400 invalid_request.
func badRequest(message string) *apiError {
	return newError(http.StatusBadRequest, codeInvalidRequest, message)
}

// writeJSON sends v with status. The agent's answers are never cached: they
// describe one browser's session.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// A write error means the client went away; nothing can be done.
	_ = json.NewEncoder(w).Encode(v)
}

// write sends the error's JSON answer.
func (e *apiError) write(w http.ResponseWriter) {
	writeJSON(w, e.status, struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{e.code, e.message})
}

// safeCode returns code when it is an OAuth error code (RFC 6749 section
// 4.1.2.1: %x20-21 / %x23-5B / %x5D-7E) of at most 64 characters, and
// provider_error otherwise: codes from the provider or a page URL reach
// the app.
func safeCode(code string) string {
	if code == "" || len(code) > 64 || strings.ContainsFunc(code, func(r rune) bool { return r < 0x20 || r == 0x22 || r == 0x5c || r > 0x7e }) {
		return codeProviderError
	}
	return code
}

// safeText is s with characters outside printable ASCII replaced by '?'
// and clipped to 200 characters, or fallback when s is empty.
func safeText(s, fallback string) string {
	if s == "" {
		return fallback
	}
	out := []byte(s[:min(len(s), 200)])
	for i, c := range out {
		if c < 0x20 || c > 0x7e {
			out[i] = '?'
		}
	}
	return string(out)
}
