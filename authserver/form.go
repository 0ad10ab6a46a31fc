package authserver

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/internal/bodylimit"
)

// repeatable lists the parameters that may occur more than once: RFC 8707
// section 2 allows several "resource" values. RFC 6749 section 3.2 forbids
// repeating any other.
var repeatable = map[string]bool{"resource": true}

// readForm parses an application/x-www-form-urlencoded POST body and refuses
// everything RFC 6749 refuses: other content types, repeated parameters,
// parameters in the query string (where proxies log them) and values that
// are not UTF-8.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *Error) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "application/x-www-form-urlencoded" {
		return nil, errInvalidRequest("the request body must be application/x-www-form-urlencoded")
	}
	if r.URL.RawQuery != "" {
		return nil, errInvalidRequest("parameters must be sent in the request body, not the query string")
	}
	r.Body = http.MaxBytesReader(w, r.Body, wire.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		if bodylimit.TooLarge(err) {
			e := newError(http.StatusRequestEntityTooLarge, "invalid_request", fmt.Sprintf("the request body exceeds %d bytes", wire.MaxBodyBytes))
			e.cause = err
			return nil, e
		}
		return nil, errInvalidRequest("the request body is not valid form encoding")
	}
	for k, vs := range r.PostForm {
		if !utf8.ValidString(k) {
			return nil, errInvalidRequest("a parameter name is not valid UTF-8")
		}
		if len(vs) > 1 && !repeatable[k] {
			return nil, errInvalidRequest(fmt.Sprintf("parameter %q is repeated", wire.Clip(k)))
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return nil, errInvalidRequest(fmt.Sprintf("parameter %q is not valid UTF-8", wire.Clip(k)))
			}
		}
	}
	return r.PostForm, nil
}
