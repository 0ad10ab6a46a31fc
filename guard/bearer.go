package guard

import (
	"errors"
	"net/http"

	"github.com/portcullis/portcullis/internal/authscheme"
)

// maxTokenLen bounds the tokens Verify looks at. Portcullis tokens are under
// 1 KiB; the bound keeps hashing and parsing of hostile input cheap.
const maxTokenLen = 16 << 10

// credentials returns the scheme and token of the request's Authorization
// header (authscheme.Parse), as the guard's errors: a request without a
// Bearer or DPoP token has none, one with a repeated header or a scheme
// without a credential is malformed. The credential's syntax is checked by
// validToken68 once the cache has missed, so a cache hit never pays for it.
func credentials(h http.Header) (authscheme.Scheme, string, error) {
	used, token, err := authscheme.Parse(h)
	switch {
	case errors.Is(err, authscheme.ErrMalformed):
		// RFC 6750 section 3.1: more than one credential is invalid_request.
		return used, "", ErrMalformedRequest
	case err != nil:
		return authscheme.None, "", ErrNoToken
	}
	return used, token, nil
}

// validToken68 reports whether token matches b64token of RFC 6750
// section 2.1: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func validToken68(token string) bool {
	if token == "" || len(token) > maxTokenLen {
		return false
	}
	i := 0
	for ; i < len(token); i++ {
		c := token[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' {
			continue
		}
		break
	}
	if i == 0 {
		return false
	}
	for ; i < len(token); i++ {
		if token[i] != '=' {
			return false
		}
	}
	return true
}
