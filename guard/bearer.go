package guard

import (
	"net/http"
	"strings"
)

// maxTokenLen bounds the tokens Verify looks at. Portcullis tokens are under
// 1 KiB; the bound keeps hashing and parsing of hostile input cheap.
const maxTokenLen = 16 << 10

// scheme is the authentication scheme of a request's Authorization header.
type scheme int

const (
	// otherScheme is no Authorization header, or a scheme the guard does
	// not take tokens from.
	otherScheme scheme = iota
	// bearerScheme is "Bearer" (RFC 6750 section 2.1).
	bearerScheme
	// dpopScheme is "DPoP" (RFC 9449 section 7.1).
	dpopScheme
)

// credentials returns the scheme and token of an "Authorization: Bearer"
// or "Authorization: DPoP" header; scheme names compare without case
// (RFC 9110 section 11.1). A request without the header, or with another
// scheme, has no token; a repeated header or a scheme without a credential
// is malformed. The credential's syntax is checked by validToken68 once
// the cache has missed, so a cache hit never pays for it.
func credentials(h http.Header) (scheme, string, error) {
	values := h["Authorization"]
	switch len(values) {
	case 0:
		return otherScheme, "", ErrNoToken
	case 1:
	default:
		// RFC 6750 section 3.1: more than one credential is invalid_request.
		return otherScheme, "", ErrMalformedRequest
	}
	name, token, _ := strings.Cut(values[0], " ")
	var s scheme
	switch {
	case strings.EqualFold(name, "Bearer"):
		s = bearerScheme
	case strings.EqualFold(name, "DPoP"):
		s = dpopScheme
	default:
		return otherScheme, "", ErrNoToken
	}
	// RFC 7235 section 2.1 allows one or more spaces after the scheme.
	token = strings.TrimLeft(token, " ")
	if token == "" {
		return s, "", ErrMalformedRequest
	}
	return s, token, nil
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
