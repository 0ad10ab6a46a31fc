package sdk

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/portcullis/portcullis/registry"
)

// maxProblem bounds the error body the SDK reads: problems are small.
const maxProblem = 64 << 10

// Error is an answer of 400 or more from the management API. errors.As
// finds it in what every call returns; IsNotFound and the other helpers
// test it.
type Error struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Problem is the RFC 9457 problem details of the answer. For answers
	// that are not problems (the guard's 401 and 403, or a proxy's page)
	// its Title is the status text and Detail the guard's description.
	Problem Problem
	// Challenge is the WWW-Authenticate header of a 401 or 403 from the
	// guard: its error and, for insufficient_scope, the scope needed.
	Challenge string

	where string // the call: method and path
}

// Problem is an RFC 9457 problem details object, as the management API
// writes it.
type Problem = registry.Problem

// FieldProblem is one bad value: Field is its key as the JSON and the YAML
// file spell it ("redirect_uris[0]"), empty for the whole object.
type FieldProblem = registry.FieldProblem

// Error describes the failed call: its method, path, status, detail and
// bad fields. The server's problems never hold secrets, and the SDK adds
// none (no header, no token).
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sdk: %s: %d %s", e.where, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Problem.Detail != "" {
		b.WriteString(": " + e.Problem.Detail)
	}
	for _, f := range e.Problem.Errors {
		if f.Field != "" {
			fmt.Fprintf(&b, "; %s: %s", f.Field, f.Detail)
		} else {
			b.WriteString("; " + f.Detail)
		}
	}
	return b.String()
}

// Field returns the problem's detail for the field key, and whether the
// problem names it.
func (e *Error) Field(key string) (string, bool) {
	for _, f := range e.Problem.Errors {
		if f.Field == key {
			return f.Detail, true
		}
	}
	return "", false
}

// readError makes the *Error of an answer of 400 or more.
func readError(where string, resp *http.Response) error {
	e := &Error{StatusCode: resp.StatusCode, Challenge: resp.Header.Get("WWW-Authenticate"), where: where}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxProblem))
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/problem+json" || mt == "application/json" {
		json.Unmarshal(b, &e.Problem) // a body that is not one leaves the defaults below
	}
	if e.Problem.Title == "" {
		e.Problem.Title = cmp.Or(http.StatusText(resp.StatusCode), fmt.Sprintf("HTTP %d", resp.StatusCode))
	}
	if e.Problem.Status == 0 {
		e.Problem.Status = resp.StatusCode
	}
	if e.Problem.Detail == "" {
		e.Problem.Detail = challengeDescription(e.Challenge)
	}
	return e
}

// challengeDescription returns the error_description (or else the error)
// of a WWW-Authenticate challenge such as the guard's.
func challengeDescription(ch string) string {
	return cmp.Or(challengeParam(ch, "error_description"), challengeParam(ch, "error"))
}

// challengeParam returns the parameter key of a WWW-Authenticate
// challenge, unquoted, or "".
func challengeParam(ch, key string) string {
	for _, p := range strings.Split(ch, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			continue
		}
		if strings.TrimSpace(k[strings.LastIndex(k, " ")+1:]) == key {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// status returns the status of the *Error in err, or 0.
func status(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is a 404: no such resource.
func IsNotFound(err error) bool { return status(err) == http.StatusNotFound }

// IsConflict reports whether err is a 409: the resource exists already,
// or is defined in the configuration file and changes only there.
func IsConflict(err error) bool { return status(err) == http.StatusConflict }

// IsPreconditionFailed reports whether err is a 412: the resource changed
// since the read whose ETag was passed as If-Match.
func IsPreconditionFailed(err error) bool { return status(err) == http.StatusPreconditionFailed }

// IsInvalid reports whether err is a 400: the request broke a rule; the
// *Error's Problem.Errors name the fields.
func IsInvalid(err error) bool { return status(err) == http.StatusBadRequest }

// IsUnauthorized reports whether err is a 401: no valid access token.
func IsUnauthorized(err error) bool { return status(err) == http.StatusUnauthorized }

// IsForbidden reports whether err is a 403: the token lacks the scope the
// call needs, which the *Error's Challenge names.
func IsForbidden(err error) bool { return status(err) == http.StatusForbidden }
