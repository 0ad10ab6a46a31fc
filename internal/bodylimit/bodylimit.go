// Package bodylimit tells a request body refused for its size apart from a
// malformed one, so that every endpoint that reads a body answers 413
// (RFC 9110 section 15.5.14) in its own error format instead of 400.
package bodylimit

import (
	"errors"
	"net/http"
)

// TooLarge reports whether err, or an error it wraps, is a read past the
// limit set by http.MaxBytesReader.
func TooLarge(err error) bool {
	_, ok := errors.AsType[*http.MaxBytesError](err)
	return ok
}
