package agent

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/dpop"
)

// CSRFHeader is the header every data-changing request to the agent, and
// to a gateway route that accepts its cookie, must carry with the value
// "1". No cross-site form can send it, and in a cross-origin fetch it
// forces a CORS preflight, which only trusted origins pass.
const CSRFHeader = "Token-Handler-Version"

// preflightMaxAge is how long browsers may cache a preflight answer
// (Chromium caps it at two hours).
const preflightMaxAge = "600"

// CookieReader reads the agent's access-token cookie from requests the way
// the agent itself does, for an API gateway that forwards browser requests
// with the token as a bearer credential. It is safe for concurrent use.
type CookieReader struct {
	jar     cookieJar
	origins []string
	access  cookie
	prefix  string
	dpop    *dpopKeys
}

// NewCookieReader validates cfg and builds a reader for the cookies of
// agents configured with the same prefix, keys, origins and legacy
// transition.
func NewCookieReader(cfg CookieConfig) (*CookieReader, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.CookiePrefix == "" {
		cfg.CookiePrefix = DefaultCookiePrefix
	}
	ciph, err := newCookieCipher(cfg.CookieEncryptionKey)
	if err != nil {
		return nil, err
	}
	keys, err := newDPoPKeys(cfg.DPoP, cfg.DPoPKeys)
	if err != nil {
		return nil, err
	}
	secure := slices.ContainsFunc(cfg.TrustedWebOrigins, func(o string) bool {
		u, _ := url.Parse(o) // validated
		return u.Scheme != "http"
	})
	return &CookieReader{
		jar:     cookieJar{cipher: ciph, secure: secure, legacyUntil: cfg.LegacyCookiesUntil},
		origins: slices.Clone(cfg.TrustedWebOrigins),
		// The access token goes to the gateway, wherever on the host its
		// routes are.
		access: newCookie(cfg.CookiePrefix, accessSuffix, "/", secure),
		prefix: cfg.CookiePrefix + "-",
		dpop:   keys,
	}, nil
}

// AccessToken returns the access token in r's cookie after the checks
// every cookie-authenticated request must pass: the Origin header names a
// trusted web origin, or, for browsers that omit it on same-origin GETs,
// Sec-Fetch-Site says same-origin; and a request other than GET, HEAD or
// OPTIONS carries CSRFHeader. Errors are ErrUntrustedOrigin,
// ErrMissingCSRFHeader, ErrNoCookie, ErrDuplicateCookie or
// ErrInvalidCookie, unwrapped. The cookie is read as the agent reads it:
// sealed for its name, one copy only.
func (c *CookieReader) AccessToken(r *http.Request) (string, error) {
	if err := c.check(r); err != nil {
		return "", err
	}
	_, v, err := c.jar.read(r, c.access)
	return string(v), err
}

// Present puts accessToken into h the way a resource server must receive
// it for a request of method to target, the URL the resource server knows
// itself by (its configured public URL and the request's path, without
// query): a token bound to one of the agent's DPoP keys as
// "Authorization: DPoP" with a DPoP proof of that key carrying ath
// (RFC 9449 section 7.1), any other as "Authorization: Bearer" (RFC 6750
// section 2.1) without a DPoP header. nonce, when set, is the resource
// server's current DPoP-Nonce (RFC 9449 section 9), which the proof then
// carries. It replaces whatever h held under
// either name. It returns ErrUnknownDPoPKey, leaving h as it was, for a
// token bound to a key the reader does not hold.
func (c *CookieReader) Present(h http.Header, accessToken, method, target, nonce string) error {
	key, err := c.dpop.forToken(accessToken)
	if err != nil {
		return err
	}
	if key == nil {
		h.Set("Authorization", "Bearer "+accessToken)
		h.Del(dpop.Header)
		return nil
	}
	proof, err := key.Proof(method, target, accessToken, nonce)
	if err != nil {
		return err
	}
	h.Set("Authorization", "DPoP "+accessToken)
	h.Set(dpop.Header, proof)
	return nil
}

// ClearAccessToken deletes the access-token cookie, for a request whose
// cookie failed with ErrInvalidCookie.
func (c *CookieReader) ClearAccessToken(w http.ResponseWriter) { c.jar.clear(w, c.access) }

// StripCookies removes the agent's cookies, with or without the __Host-
// and __Secure- prefixes, from the Cookie headers in h, so that an
// upstream never receives them, even encrypted.
func (c *CookieReader) StripCookies(h http.Header) {
	var keep []string
	for _, line := range h.Values("Cookie") {
		for part := range strings.SplitSeq(line, ";") {
			name, _, _ := strings.Cut(strings.TrimSpace(part), "=")
			bare := strings.TrimPrefix(strings.TrimPrefix(name, hostPrefix), securePrefix)
			if name != "" && !strings.HasPrefix(bare, c.prefix) {
				keep = append(keep, strings.TrimSpace(part))
			}
		}
	}
	h.Del("Cookie")
	if len(keep) > 0 {
		h.Set("Cookie", strings.Join(keep, "; "))
	}
}

// CORS adds the response headers (Fetch standard, CORS protocol) that let a
// page on a trusted origin read the answer to a credentialed request, and
// reports whether r's Origin is trusted. Vary: Origin is added either way,
// since the answer depends on it.
func (c *CookieReader) CORS(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	h.Add("Vary", "Origin")
	o := r.Header.Get("Origin")
	if !slices.Contains(c.origins, o) {
		return false
	}
	h.Set("Access-Control-Allow-Origin", o)
	h.Set("Access-Control-Allow-Credentials", "true")
	return true
}

// Preflight answers a CORS preflight request (OPTIONS with
// Access-Control-Request-Method): 204 with the allowed methods and the
// requested headers when the origin is trusted and the method is one of
// methods, 403 otherwise.
func (c *CookieReader) Preflight(w http.ResponseWriter, r *http.Request, methods ...string) {
	if !c.CORS(w, r) || !slices.Contains(methods, r.Header.Get("Access-Control-Request-Method")) {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", strings.Join(methods, ", "))
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		// The origin is trusted; what headers its pages send is their
		// business, and the CSRF header is among them.
		h.Set("Access-Control-Allow-Headers", req)
	}
	h.Set("Access-Control-Max-Age", preflightMaxAge)
	w.WriteHeader(http.StatusNoContent)
}

// trustedHost reports whether host (host[:port] of a request) is the host
// of a trusted origin.
func (c *CookieReader) trustedHost(host string) bool {
	return slices.ContainsFunc(c.origins, func(o string) bool {
		_, h, _ := strings.Cut(o, "://")
		return strings.EqualFold(h, host)
	})
}

// check applies the cross-site defences: a trusted Origin, or no Origin and
// Sec-Fetch-Site: same-origin on a host that is itself a trusted origin's
// (a same-origin deployment, where browsers omit Origin on GET; any other
// page served from this host is not the app); and CSRFHeader on
// data-changing methods.
func (c *CookieReader) check(r *http.Request) error {
	if o, ok := r.Header["Origin"]; ok {
		if len(o) != 1 || !slices.Contains(c.origins, o[0]) {
			return ErrUntrustedOrigin
		}
	} else if r.Header.Get("Sec-Fetch-Site") != "same-origin" || !c.trustedHost(r.Host) {
		return ErrUntrustedOrigin
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if v := r.Header.Values(CSRFHeader); len(v) != 1 || v[0] != "1" {
		return ErrMissingCSRFHeader
	}
	return nil
}
