// Package gateway is an authenticating reverse proxy for APIs not written in
// Go: it validates bearer access tokens with package guard, checks scopes
// per route, and forwards to the route's upstream with the token and with
// identity headers that only the gateway can set.
package gateway

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/portcullis/portcullis/agent"
	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/internal/tlsreload"
	"github.com/portcullis/portcullis/usage"
)

// Config is the gateway: section of the configuration file. Zero values
// are documented per field; Validate checks them all.
type Config struct {
	// Listen is the address to listen on, host:port. Required; the
	// gateway itself does not listen, the caller does.
	Listen string `yaml:"listen"`
	// TLS, when set, serves the gateway over HTTPS with this certificate
	// pair, reloaded when the files change; the config package checks and
	// resolves it. Zero value: plain HTTP (behind a TLS-terminating proxy).
	TLS tlsreload.Files `yaml:"tls"`
	// PublicURL is the gateway's URL as clients reach it, an http or
	// https URL without path, query or fragment, for example
	// https://api.example.com behind a TLS-terminating balancer. Its
	// scheme and host are sent upstream as X-Forwarded-Proto and
	// X-Forwarded-Host, and a DPoP proof's htu must be it followed by
	// the request's path (RFC 9449 section 4.3). Empty means those of
	// the request as the gateway received it: "http" ("https" on a TLS
	// connection) and the Host header the client sent; DPoP-bound tokens
	// are then refused on every route, since their proofs cannot be
	// checked against a URL the client chose, and no route may have
	// dpop: required.
	PublicURL string `yaml:"public_url"`
	// Issuer is the authorization server's issuer identifier, an http or
	// https URL. Required.
	Issuer string `yaml:"issuer"`
	// Audience is the resource identifier tokens must be issued for.
	// Required.
	Audience string `yaml:"audience"`
	// Algorithms are the accepted JWS algorithms, asymmetric only. Empty
	// means those the issuer advertises (see guard.Options.Algorithms).
	Algorithms []string `yaml:"algorithms"`
	// Leeway is the clock skew tolerated on token times. Zero means none.
	Leeway time.Duration `yaml:"leeway"`
	// UpstreamTimeout bounds the wait for an upstream's response headers;
	// past it the gateway answers 504. Bodies are streamed without a
	// bound. Zero means 30s.
	UpstreamTimeout time.Duration `yaml:"upstream_timeout"`
	// IdentityHeaders names the headers that tell the upstream who called.
	IdentityHeaders IdentityHeaders `yaml:"identity_headers"`
	// Routes map path prefixes to upstreams. At least one is required.
	Routes []Route `yaml:"routes"`
	// DPoPNonceKey, when set, makes DPoP proofs carry a nonce the
	// gateway issued (RFC 9449 section 9): 64 hexadecimal characters
	// (openssl rand -hex 32), the same at every instance of the gateway.
	// Empty means no nonces.
	DPoPNonceKey string `yaml:"dpop_nonce_key"`
	// DPoPReplay remembers DPoP proofs' jti so that each is used once
	// across the gateway's instances; serve sets a Redis one when Redis
	// is configured. Not read from the file. Nil means each instance's
	// memory (see guard.DPoP.Replay).
	DPoPReplay dpop.ReplayCache `yaml:"-"`
	// Cookies are the OAuth Agent's cookie settings (the cookie_prefix,
	// cookie_encryption_key and trusted_web_origins of its oauth_agent
	// section), which routes with Cookies set need to read its
	// access-token cookie. Nil means no route may set Cookies.
	Cookies *agent.CookieConfig `yaml:"cookies"`
	// TrustedProxies are the reverse proxies in front of the gateway
	// whose X-Forwarded-For tells the client's address, which
	// RateLimitPerAddress counts by and usage events carry. Empty means
	// the peer address is the client's. The configuration file sets it
	// from its top-level trusted_proxies.
	TrustedProxies []netip.Prefix `yaml:"-"`
	// Limiter decides the routes' rate limits for every instance at once
	// (redisstate.Client.Limiter); serve sets it when Redis is
	// configured. Nil means each instance's memory.
	Limiter usage.Limiter `yaml:"-"`
	// Usage is told of every request a route judges (usage.APICall: the
	// route's path, the caller, the client address, the outcome) and of
	// every request a rate limit refuses (usage.RateLimited), for usage
	// records and anomaly detection; serve sets it. Nil means none.
	Usage usage.Sink `yaml:"-"`
}

// IdentityHeaders names the request headers the gateway sets from the
// validated token. Copies sent by the client are always removed, also
// under spellings that upstream frameworks fold together (case, and "_"
// for "-" as CGI and WSGI do), so an upstream can trust them.
type IdentityHeaders struct {
	// Subject carries "sub". Empty means X-Portcullis-Subject.
	Subject string `yaml:"subject"`
	// ClientID carries "client_id". Empty means X-Portcullis-Client-Id.
	ClientID string `yaml:"client_id"`
	// Scope carries the granted scopes, space-separated. Empty means
	// X-Portcullis-Scope.
	Scope string `yaml:"scope"`
}

// Route sends the requests under a path to an upstream.
type Route struct {
	// Path is a clean absolute path; it matches itself and everything
	// below it ("/users" matches "/users" and "/users/42", not
	// "/usersx"), ignoring ASCII case ("/USERS/42" too). When several
	// routes match, the longest path wins.
	// Required.
	Path string `yaml:"path"`
	// Methods limits the route to these methods; GET also admits HEAD.
	// Empty means every method.
	Methods []string `yaml:"methods"`
	// Upstream is the http or https URL requests are forwarded to; the
	// request path is appended to its path unchanged. Required.
	Upstream string `yaml:"upstream"`
	// Scopes must all have been granted to the token. Empty means any
	// valid token for the audience.
	Scopes []string `yaml:"scopes"`
	// ACRValues are the authentication context classes the route accepts
	// (RFC 9470 step-up): the token's acr must be one of them, for example
	// [mfa, phr] for a sign-in with a second factor. A token that falls
	// short is refused with 401 insufficient_user_authentication, whose
	// acr_values and max_age tell the client how to sign in again. Empty
	// means any acr.
	ACRValues []string `yaml:"acr_values"`
	// MaxAge is the longest time since the user signed in (the token's
	// auth_time), whole seconds, for example 5m; refused as ACRValues
	// are. Zero means any age.
	MaxAge time.Duration `yaml:"max_age"`
	// Cookies lets browsers authenticate with the OAuth Agent's
	// access-token cookie instead of an Authorization header, for
	// single-page apps that hold no token. Such requests must come from
	// a trusted web origin and, unless GET or HEAD, carry
	// "token-handler-version: 1"; CORS answers those origins with
	// credentials. A request with an Authorization header is a bearer
	// request as on any route. Requires Config.Cookies. False means the
	// Authorization header only.
	Cookies bool `yaml:"cookies"`
	// DPoP is which tokens the route accepts (RFC 9449): "required",
	// tokens bound to a key under the DPoP scheme with a proof only
	// (needs PublicURL); "allowed", those and unbound bearer tokens;
	// "off", unbound bearer tokens only. Whatever the value, a bound token
	// presented as a bearer token is refused. A cookie route takes what the
	// agent's cookies hold: not "off" when the agent binds its tokens
	// (CookieConfig.DPoP), not "required" when it does not. The token and the proof are
	// forwarded unchanged. Empty means "allowed" (which, without
	// PublicURL, refuses bound tokens as "off" does).
	DPoP string `yaml:"dpop"`
	// RateLimit limits each caller's requests on the route, {rate,
	// period, burst} (usage.Limit): a caller is a token's client_id and
	// sub together, counted once the token and scopes are checked. Over
	// it: 429 with Retry-After and the RateLimit headers. While Redis
	// does not answer, callers are not limited. Zero means no limit.
	RateLimit usage.Limit `yaml:"rate_limit"`
	// RateLimitPerAddress limits each client address's (an IPv6 /64)
	// requests on the route, whatever their token, counted before the
	// token is checked, so that floods of bad tokens count too. While
	// Redis does not answer, each instance counts in memory. Zero means
	// no limit.
	RateLimitPerAddress usage.Limit `yaml:"rate_limit_per_address"`
}

// ConfigError is one bad value in the gateway configuration. Key names it
// the way the configuration file does, for example
// "gateway.routes[1].upstream".
type ConfigError struct {
	Key     string
	Problem string
}

// Error returns "key: problem".
func (e *ConfigError) Error() string { return e.Key + ": " + e.Problem }

// Validate checks the configuration and returns every problem found, each
// a *ConfigError, joined with errors.Join; nil when it is valid.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &ConfigError{Key: "gateway." + key, Problem: fmt.Sprintf(format, args...)})
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		bad("listen", "must be host:port")
	}
	if c.PublicURL != "" {
		if err := checkURL(c.PublicURL); err != nil {
			bad("public_url", "%v", err)
		} else if u, _ := url.Parse(c.PublicURL); u.Path != "" && u.Path != "/" {
			bad("public_url", "must not have a path")
		}
	}
	if err := checkURL(c.Issuer); err != nil {
		bad("issuer", "%v", err)
	}
	if c.Audience == "" {
		bad("audience", "is required")
	}
	for i, alg := range c.Algorithms {
		if !guard.ValidAlgorithm(alg) {
			bad(fmt.Sprintf("algorithms[%d]", i), "%q is not an asymmetric signature algorithm", alg)
		}
	}
	if c.Leeway < 0 {
		bad("leeway", "must not be negative")
	}
	if c.UpstreamTimeout < 0 {
		bad("upstream_timeout", "must not be negative")
	}
	h := c.IdentityHeaders.resolve()
	for _, f := range [...]struct{ key, name string }{{"subject", h.Subject}, {"client_id", h.ClientID}, {"scope", h.Scope}} {
		if !validHeaderName(f.name) {
			bad("identity_headers."+f.key, "%q is not a header name the gateway may set", f.name)
		}
	}
	if fold(h.Subject) == fold(h.ClientID) || fold(h.Subject) == fold(h.Scope) || fold(h.ClientID) == fold(h.Scope) {
		bad("identity_headers", "names must differ")
	}
	if len(c.Routes) == 0 {
		bad("routes", "at least one route is required")
	}
	for i, r := range c.Routes {
		key := fmt.Sprintf("routes[%d]", i)
		if !strings.HasPrefix(r.Path, "/") || path.Clean(r.Path) != r.Path {
			bad(key+".path", "must be a clean absolute path such as /users")
		} else if _, err := checkPath((&url.URL{Path: r.Path}).EscapedPath()); err != nil {
			// No request could match it.
			bad(key+".path", "%v", err)
		}
		for j, m := range r.Methods {
			if m == "" || strings.ToUpper(m) != m || !validToken(m) {
				bad(fmt.Sprintf("%s.methods[%d]", key, j), "%q is not an upper-case HTTP method", m)
			}
		}
		if err := checkURL(r.Upstream); err != nil {
			bad(key+".upstream", "%v", err)
		}
		for j, s := range r.Scopes {
			if !guard.ValidScope(s) {
				bad(fmt.Sprintf("%s.scopes[%d]", key, j), "%q is not a scope", s)
			}
		}
		for j, acr := range r.ACRValues {
			if !guard.ValidACR(acr) {
				bad(fmt.Sprintf("%s.acr_values[%d]", key, j), "%q is not an acr value", acr)
			}
		}
		if !guard.ValidMaxAge(r.MaxAge) {
			bad(key+".max_age", "must be whole seconds, not negative")
		}
		switch r.DPoP {
		case "", dpopAllowed, dpopOff:
		case dpopRequired:
			if c.PublicURL == "" {
				bad(key+".dpop", "required needs gateway.public_url, which proofs' htu is checked against")
			}
		default:
			bad(key+".dpop", "%q is not required, allowed or off", r.DPoP)
		}
		for _, l := range [...]struct {
			key   string
			limit usage.Limit
		}{{"rate_limit", r.RateLimit}, {"rate_limit_per_address", r.RateLimitPerAddress}} {
			for _, p := range l.limit.Problems() {
				bad(key+"."+l.key+"."+p.Field, "%s", p.Problem)
			}
		}
		switch {
		case r.Cookies && c.Cookies == nil:
			bad(key+".cookies", "needs gateway.cookies, the OAuth Agent's cookie settings")
		// The route's guard would refuse every token the agent's cookies
		// hold (RFC 9449 section 7.2): the browser would be sent to
		// /refresh, and back, for ever.
		case r.Cookies && c.Cookies.DPoP && r.DPoP == dpopOff:
			bad(key+".dpop", "off refuses the DPoP-bound tokens of the OAuth Agent's cookies (its dpop: true): use allowed or required")
		case r.Cookies && !c.Cookies.DPoP && r.DPoP == dpopRequired:
			bad(key+".dpop", "required refuses the bearer tokens of the OAuth Agent's cookies (its dpop is off): use allowed, or turn the agent's dpop on")
		}
		for j, prev := range c.Routes[:i] {
			if foldEqual(prev.Path, r.Path) && overlap(prev.Methods, r.Methods) {
				bad(key, "same path (ignoring ASCII case) and methods as routes[%d]", j)
			}
		}
	}
	if c.DPoPNonceKey != "" {
		if b, err := hex.DecodeString(c.DPoPNonceKey); err != nil || len(b) != dpop.MinNonceKeySize {
			bad("dpop_nonce_key", "must be 64 hexadecimal characters (openssl rand -hex 32)")
		}
	}
	if c.Cookies != nil && c.Cookies.DPoP && c.PublicURL == "" && slices.ContainsFunc(c.Routes, func(r Route) bool { return r.Cookies }) {
		bad("public_url", "is required when cookie routes present DPoP-bound tokens (the OAuth Agent's dpop: true): the gateway's proofs are for public_url and the request's path")
	}
	if c.Cookies != nil {
		for _, err := range unjoin(c.Cookies.Validate()) {
			if ce := (*agent.ConfigError)(nil); errors.As(err, &ce) {
				bad("cookies."+ce.Key, "%s", ce.Problem)
			} else {
				bad("cookies", "%v", err)
			}
		}
	}
	return errors.Join(errs...)
}

// Route.DPoP's values.
const (
	dpopRequired = "required"
	dpopAllowed  = "allowed"
	dpopOff      = "off"
)

// dpopMode is the guard mode of route r. A route that allows DPoP
// without a PublicURL has nothing to check proofs' htu against, so it
// takes bearer tokens only, and refuses bound ones.
func (c Config) dpopMode(r Route) guard.DPoPMode {
	switch {
	case r.DPoP == dpopRequired:
		return guard.DPoPRequired
	case r.DPoP == dpopOff || c.PublicURL == "":
		return guard.DPoPOff
	}
	return guard.DPoPAllowed
}

// unjoin returns the errors joined in err.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}

// resolve applies the default names.
func (h IdentityHeaders) resolve() IdentityHeaders {
	if h.Subject == "" {
		h.Subject = "X-Portcullis-Subject"
	}
	if h.ClientID == "" {
		h.ClientID = "X-Portcullis-Client-Id"
	}
	if h.Scope == "" {
		h.Scope = "X-Portcullis-Scope"
	}
	return h
}

// checkURL accepts absolute http and https URLs without query or fragment.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("is required")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not an http or https URL without query or fragment", raw)
	}
	return nil
}

// overlap reports whether two method lists share a method; empty means
// every method.
func overlap(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	return slices.ContainsFunc(a, func(m string) bool { return slices.Contains(b, m) })
}

// reserved are headers an identity header must not replace: the gateway
// forwards the token, and hop-by-hop and framing headers belong to HTTP.
// Nor may it take a name in stripped, which upstreams read as a method,
// a URL or an address.
var reserved = []string{
	"authorization", "host", "content-length", "content-type", "transfer-encoding", "connection",
	"te", "trailer", "upgrade", "keep-alive", "proxy-authorization", "proxy-connection", "cookie",
	"forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
}

// validHeaderName reports whether name is a field name (RFC 9110
// section 5.1) that is not reserved.
func validHeaderName(name string) bool {
	return validToken(name) && !slices.Contains(reserved, fold(name)) && !stripped[fold(name)]
}

// validToken reports whether s is an RFC 9110 section 5.6.2 token.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// fold is the spelling upstream frameworks reduce header names to: case
// folded, and "_" taken for "-" as CGI-style environments do.
func fold(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}
