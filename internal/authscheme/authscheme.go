// Package authscheme reads the Authorization header of a protected
// resource and writes its WWW-Authenticate challenges, for RFC 6750's
// Bearer scheme and RFC 9449's DPoP scheme, with RFC 9470's step-up
// attributes: the guard and the authorization server's userinfo endpoint
// answer alike through it.
package authscheme

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Scheme is the authentication scheme a request used.
type Scheme int

const (
	// None is no token, or a scheme that carries none of ours.
	None Scheme = iota
	// Bearer is "Bearer" (RFC 6750 section 2.1).
	Bearer
	// DPoP is "DPoP" (RFC 9449 section 7.1).
	DPoP
)

// Errors of Parse.
var (
	// ErrNoHeader means the request has no Authorization header.
	ErrNoHeader = errors.New("no Authorization header")
	// ErrOtherScheme means the header uses neither Bearer nor DPoP.
	ErrOtherScheme = errors.New("the Authorization header is neither Bearer nor DPoP")
	// ErrMalformed means the header is repeated, or names Bearer or DPoP
	// without a credential (RFC 6750 section 3.1: invalid_request).
	ErrMalformed = errors.New("malformed Authorization header")
)

// Parse returns the scheme and token of an "Authorization: Bearer" or
// "Authorization: DPoP" header. Scheme names compare without case
// (RFC 9110 section 11.1), and one or more spaces may follow them
// (RFC 7235 section 2.1). The token's syntax is left to the caller, which
// may check it only when its cache misses.
func Parse(h http.Header) (Scheme, string, error) {
	values := h["Authorization"]
	switch len(values) {
	case 0:
		return None, "", ErrNoHeader
	case 1:
	default:
		return None, "", ErrMalformed
	}
	name, token, _ := strings.Cut(values[0], " ")
	var s Scheme
	switch {
	case strings.EqualFold(name, "Bearer"):
		s = Bearer
	case strings.EqualFold(name, "DPoP"):
		s = DPoP
	default:
		return None, "", ErrOtherScheme
	}
	token = strings.TrimLeft(token, " ")
	if token == "" {
		return s, "", ErrMalformed
	}
	return s, token, nil
}

// Challenge is the WWW-Authenticate answer of a refused request: one
// challenge per scheme offered (RFC 9449 section 7.2), Bearer first, the
// error carried by the challenge of the scheme the request used, or by
// every challenge when the request used none of those offered.
// Every value must be printable ASCII without quotes or backslashes, so
// plain quoting makes a correct quoted-string.
type Challenge struct {
	Realm string
	// Bearer offers a Bearer challenge.
	Bearer bool
	// Algs, when set, offers a DPoP challenge with these space-separated
	// algorithms.
	Algs string
	// Used is the scheme the request used.
	Used Scheme
	// Code, Description and Scope are the error's (RFC 6750 section 3);
	// an empty Code sends no error information (section 3.1).
	Code, Description, Scope string
	// ACRValues and MaxAge are what an insufficient_user_authentication
	// error asks of the user's next sign-in (RFC 9470 section 3): the
	// acceptable classes, space-separated, and the longest time since it,
	// sent in whole seconds. Empty and zero send none.
	ACRValues string
	MaxAge    time.Duration
}

// Set replaces the WWW-Authenticate fields of h with c's challenges.
func (c Challenge) Set(h http.Header) {
	h.Del("WWW-Authenticate")
	offered := func(s Scheme) bool { return s == Bearer && c.Bearer || s == DPoP && c.Algs != "" }
	for _, s := range [...]Scheme{Bearer, DPoP} {
		if !offered(s) {
			continue
		}
		v := "Bearer"
		if s == DPoP {
			v = "DPoP"
		}
		v += ` realm="` + c.Realm + `"`
		if s == c.Used || !offered(c.Used) {
			v += c.params()
		}
		if s == DPoP {
			v += `, algs="` + c.Algs + `"`
		}
		h.Add("WWW-Authenticate", v)
	}
}

// params are the error's challenge parameters.
func (c Challenge) params() string {
	var v string
	if c.Code != "" {
		v += `, error="` + c.Code + `"`
		if c.Description != "" {
			v += `, error_description="` + c.Description + `"`
		}
	}
	if c.Scope != "" {
		v += `, scope="` + c.Scope + `"`
	}
	if c.ACRValues != "" {
		v += `, acr_values="` + c.ACRValues + `"`
	}
	if c.MaxAge > 0 {
		v += `, max_age="` + strconv.FormatInt(int64(c.MaxAge/time.Second), 10) + `"`
	}
	return v
}
