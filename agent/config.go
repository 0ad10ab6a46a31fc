package agent

import (
	"crypto/subtle"
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

	"github.com/portcullis/portcullis/internal/tlsreload"
	"github.com/portcullis/portcullis/usage"
)

// Defaults for the zero values of Config.
const (
	DefaultBasePath     = "/oauth-agent"
	DefaultScope        = "openid"
	DefaultCookiePrefix = "pc"
)

// Config is the oauth_agent: section of the configuration file. Zero values
// are documented per field; Validate checks them all.
type Config struct {
	// Listen is the address to listen on, host:port. Required; the agent
	// itself does not listen, the caller does.
	Listen string `yaml:"listen"`
	// TLS, when set, serves the agent over HTTPS with this certificate
	// pair, reloaded when the files change; the config package checks and
	// resolves it. Zero value: plain HTTP (behind a TLS-terminating proxy).
	TLS tlsreload.Files `yaml:"tls"`
	// BasePath is the clean absolute path the endpoints live under, for
	// example /oauth-agent for /oauth-agent/login/start. Empty means
	// /oauth-agent.
	BasePath string `yaml:"base_path"`
	// Issuer is the OpenID provider's issuer identifier; its discovery
	// document is read from Issuer + "/.well-known/openid-configuration".
	// Any provider will do, not only Portcullis. Required: an https URL,
	// or http on a loopback host.
	Issuer string `yaml:"issuer"`
	// ClientID and ClientSecret authenticate the agent, a confidential
	// client, at the provider's token and PAR endpoints
	// (client_secret_basic, or client_secret_post when the provider
	// offers only that). Both required.
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
	// RedirectURI is the single-page app's page the provider returns to
	// with the authorization response; the app hands that URL to
	// /login/end. Required: https, or http on a loopback host, without a
	// fragment, on one of TrustedWebOrigins (the app calls the agent
	// from there).
	RedirectURI string `yaml:"redirect_uri"`
	// PostLogoutRedirectURI is where the provider sends the browser after
	// logout. Empty means none is sent, and the provider shows its own
	// page.
	PostLogoutRedirectURI string `yaml:"post_logout_redirect_uri"`
	// Scope is the space-separated scopes of every login; it must
	// contain openid. Add offline_access for refresh tokens where the
	// provider requires it. Empty means "openid".
	Scope string `yaml:"scope"`
	// TrustedWebOrigins are the origins (scheme://host[:port], lower
	// case, no path) whose pages may call the agent with the user's
	// cookies, and the only ones CORS answers. Cookies are Secure unless
	// every one of them is http on a loopback host. At least one is
	// required.
	TrustedWebOrigins []string `yaml:"trusted_web_origins"`
	// CookiePrefix starts the cookies' names: PREFIX-at (access token),
	// PREFIX-auth (refresh token), PREFIX-id (ID token) and PREFIX-login
	// (logins in progress), the names Curity's OAuth Agent uses. When the
	// cookies are Secure, the agent puts __Host- before the names of the
	// cookies at path / (the access token's, and the ID token's when
	// BasePath is /) and __Secure- before the others. Empty means "pc".
	CookiePrefix string `yaml:"cookie_prefix"`
	// CookieEncryptionKey holds the AES-256 keys that encrypt the
	// cookies. Required; there is no default key.
	CookieEncryptionKey Keys `yaml:"cookie_encryption_key"`
	// LegacyCookiesUntil ends the transition from the cookies written
	// before cookies were bound to their names and logins: until then,
	// cookies in the Curity layout (version 1), and under the names
	// without __Host- or __Secure-, are read too. At most
	// MaxLegacyTransition ahead. The zero value means no transition:
	// such cookies are refused, and their users sign in again.
	LegacyCookiesUntil time.Time `yaml:"legacy_cookies_until"`
	// TrustedProxies are the reverse proxies in front of the agent whose
	// X-Forwarded-For tells the client's address, which limits how often
	// one address may start a login. Empty means the peer address is the
	// client's. The configuration file sets it from its top-level
	// trusted_proxies.
	TrustedProxies []netip.Prefix `yaml:"-"`
	// LoginStartsPerMinute is the older spelling of LoginStartLimit:
	// when that is zero, a limit of this many logins a minute, all at
	// once. The configuration file's rate_limits.login_start replaces it.
	// Zero means not set.
	LoginStartsPerMinute int `yaml:"login_starts_per_minute"`
	// LoginStartLimit limits the logins one client address (an IPv6
	// /64) may start: each pushes a request the provider stores. The
	// configuration file sets it from rate_limits.login_start, 30 a
	// minute by default. Zero (and LoginStartsPerMinute zero) means no
	// limit.
	LoginStartLimit usage.Limit `yaml:"-"`
	// Limiter decides LoginStartLimit for every instance at once
	// (redisstate.Client.Limiter); during its outages each instance
	// decides in memory. Nil means each instance's memory.
	Limiter usage.Limiter `yaml:"-"`
	// Usage receives a usage.RateLimited event for each login start the
	// limit refuses. Nil means none.
	Usage usage.Sink `yaml:"-"`
	// DPoP binds the agent's tokens to a key only the agent and the
	// gateway hold (RFC 9449): the agent sends a proof with every code
	// exchange and refresh and requires token_type DPoP, and the gateway's
	// cookie routes present a proof with the token. Requires DPoPKeys.
	// False means bearer tokens.
	DPoP bool `yaml:"dpop"`
	// DPoPKeys are the secrets the DPoP keys are derived from (see
	// DPoPKey), 64 hexadecimal characters each, none a cookie key. The
	// first binds new tokens; the others still sign proofs for the tokens
	// bound to them, so a new key is rotated in by putting it first and an
	// old one retired by removing it. Required with DPoP, refused without.
	DPoPKeys Keys `yaml:"dpop_keys"`
}

// MaxLegacyTransition bounds CookieConfig.LegacyCookiesUntil: long enough
// for browser sessions and refresh tokens of before the upgrade to end,
// short enough that the legacy layout, which any host of the domain may
// plant, does not stay accepted.
const MaxLegacyTransition = 30 * 24 * time.Hour

// CookieConfig is what a reader of the agent's access-token cookie, such as
// the gateway, must share with the agent. The YAML keys are those of the
// oauth_agent: section, so the values can be copied as they are.
type CookieConfig struct {
	// CookiePrefix is the agent's cookie prefix. Empty means "pc".
	CookiePrefix string `yaml:"cookie_prefix"`
	// CookieEncryptionKey holds the agent's keys, or at least the one that
	// encrypts. Required.
	CookieEncryptionKey Keys `yaml:"cookie_encryption_key"`
	// TrustedWebOrigins are the origins whose pages may send the cookie.
	// At least one is required.
	TrustedWebOrigins []string `yaml:"trusted_web_origins"`
	// LegacyCookiesUntil is the agent's end of the legacy transition.
	// The zero value means none.
	LegacyCookiesUntil time.Time `yaml:"legacy_cookies_until"`
	// DPoP and DPoPKeys are the agent's: with them, the access token is
	// presented with a proof of the key it is bound to (see
	// CookieReader.Present). False means the agent's tokens are bearer
	// tokens.
	DPoP     bool `yaml:"dpop"`
	DPoPKeys Keys `yaml:"dpop_keys"`
}

// Cookies returns the cookie settings a gateway needs to accept this
// agent's access-token cookie and present the token as the agent's
// provider bound it.
func (c Config) Cookies() CookieConfig {
	return CookieConfig{
		CookiePrefix: c.CookiePrefix, CookieEncryptionKey: c.CookieEncryptionKey,
		TrustedWebOrigins: c.TrustedWebOrigins, LegacyCookiesUntil: c.LegacyCookiesUntil,
		DPoP: c.DPoP, DPoPKeys: c.DPoPKeys,
	}
}

// Keys are AES-256 keys, 64 hexadecimal characters each. The first
// encrypts; every one decrypts, so a new key is rotated in by putting it
// first and an old one retired by removing it once its cookies are gone.
// In YAML one key may be written as a string and several as a list.
type Keys []string

// UnmarshalYAML accepts a string or a list of strings. It uses the
// function form of the YAML unmarshaler so that this package does not
// depend on a YAML library.
func (k *Keys) UnmarshalYAML(unmarshal func(any) error) error {
	var one string
	if err := unmarshal(&one); err == nil {
		*k = Keys{one}
		return nil
	}
	var many []string
	if err := unmarshal(&many); err != nil {
		return err
	}
	*k = many
	return nil
}

// check adds a problem for each key that is not 64 hexadecimal
// characters, under key name and its index when there are several; use
// says what the 32 bytes are for.
func (k Keys) check(p *problems, name, use string) {
	for i, v := range k {
		if b, err := hex.DecodeString(v); err != nil || len(b) != 32 {
			// The value is a secret: the message never quotes it.
			p.add(k.name(name, i), "must be 64 hexadecimal characters (32 bytes, %s), got %d characters", use, len(v))
		}
	}
}

// name is the configuration key of the i-th key: name, or name[i] in a
// list of several.
func (k Keys) name(name string, i int) string {
	if len(k) > 1 {
		return fmt.Sprintf("%s[%d]", name, i)
	}
	return name
}

// ConfigError is one bad value in the agent's configuration. Key names it
// the way the configuration file does, for example
// "oauth_agent.cookie_encryption_key[1]".
type ConfigError struct {
	Key     string
	Problem string
}

// Error returns "key: problem".
func (e *ConfigError) Error() string { return e.Key + ": " + e.Problem }

// problems collects ConfigErrors under a key prefix.
type problems struct {
	prefix string
	errs   []error
}

func (p *problems) add(key, format string, args ...any) {
	p.errs = append(p.errs, &ConfigError{Key: p.prefix + key, Problem: fmt.Sprintf(format, args...)})
}

// Validate checks the configuration and returns every problem found, each
// a *ConfigError whose key starts with "oauth_agent.", joined with
// errors.Join; nil when it is valid.
func (c Config) Validate() error {
	p := &problems{prefix: "oauth_agent."}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		p.add("listen", "must be host:port")
	}
	if c.BasePath != "" && !validPath(c.BasePath) {
		p.add("base_path", "must be a clean absolute path such as /oauth-agent")
	}
	if err := checkURL(c.Issuer, true); err != nil {
		p.add("issuer", "%v", err)
	}
	if c.ClientID == "" {
		p.add("client_id", "is required")
	}
	if c.ClientSecret == "" {
		p.add("client_secret", "is required")
	}
	if err := checkURL(c.RedirectURI, false); err != nil {
		p.add("redirect_uri", "%v", err)
	} else if u, _ := url.Parse(c.RedirectURI); !slices.Contains(c.TrustedWebOrigins, origin(u)) {
		p.add("redirect_uri", "its origin %s must be one of trusted_web_origins: the page there calls the agent", origin(u))
	}
	if c.PostLogoutRedirectURI != "" {
		if err := checkURL(c.PostLogoutRedirectURI, false); err != nil {
			p.add("post_logout_redirect_uri", "%v", err)
		}
	}
	if c.Scope != "" {
		scopes := strings.Fields(c.Scope)
		if i := slices.IndexFunc(scopes, func(s string) bool { return !validScope(s) }); i >= 0 {
			p.add("scope", "%q is not a scope", scopes[i])
		}
		if !slices.Contains(scopes, "openid") {
			p.add("scope", "must contain openid: the agent signs users in with OpenID Connect")
		}
	}
	if c.LoginStartsPerMinute < 0 {
		p.add("login_starts_per_minute", "must not be negative")
	}
	for _, pr := range c.LoginStartLimit.Problems() {
		p.add("login_start_limit."+pr.Field, "%s", pr.Problem)
	}
	c.Cookies().check(p)
	return errors.Join(p.errs...)
}

// Validate checks the cookie settings and returns every problem found,
// each a *ConfigError whose key is relative to the section holding them
// ("cookie_prefix", "trusted_web_origins[0]"), joined with errors.Join;
// nil when they are valid.
func (c CookieConfig) Validate() error {
	p := &problems{}
	c.check(p)
	return errors.Join(p.errs...)
}

func (c CookieConfig) check(p *problems) {
	if c.CookiePrefix != "" && (len(c.CookiePrefix) > 32 || strings.ContainsFunc(c.CookiePrefix, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_')
	})) {
		p.add("cookie_prefix", "must be at most 32 letters, digits, '-' or '_'")
	}
	// The agent chooses these per cookie: browsers refuse __Host-
	// cookies with a path other than /, and both over http.
	if l := strings.ToLower(c.CookiePrefix); strings.HasPrefix(l, "__host-") || strings.HasPrefix(l, "__secure-") {
		p.add("cookie_prefix", "must not start with __Host- or __Secure-: the agent adds them itself to Secure cookies")
	}
	if c.LegacyCookiesUntil.After(time.Now().Add(MaxLegacyTransition)) {
		p.add("legacy_cookies_until", "must be at most %d days ahead: legacy cookies are not bound to their names", int(MaxLegacyTransition.Hours()/24))
	}
	if len(c.CookieEncryptionKey) == 0 || len(c.CookieEncryptionKey) == 1 && c.CookieEncryptionKey[0] == "" {
		p.add("cookie_encryption_key", "is required: 64 hexadecimal characters (openssl rand -hex 32)")
	} else {
		c.CookieEncryptionKey.check(p, "cookie_encryption_key", "AES-256")
	}
	switch {
	case c.DPoP && len(c.DPoPKeys) == 0:
		p.add("dpop_keys", "is required with dpop: true: 64 hexadecimal characters (openssl rand -hex 32)")
	case !c.DPoP && len(c.DPoPKeys) > 0:
		p.add("dpop_keys", "is set but dpop is not true: set dpop: true to bind tokens, or remove the keys")
	default:
		c.DPoPKeys.check(p, "dpop_keys", "a P-256 key is derived from them")
		for i, k := range c.DPoPKeys {
			if slices.ContainsFunc(c.CookieEncryptionKey, func(ck string) bool { return subtle.ConstantTimeCompare([]byte(ck), []byte(k)) == 1 }) {
				p.add(c.DPoPKeys.name("dpop_keys", i), "must not be a cookie_encryption_key: whoever learns one key must not have the other")
			}
		}
	}
	if len(c.TrustedWebOrigins) == 0 {
		p.add("trusted_web_origins", "at least one origin is required")
	}
	for i, o := range c.TrustedWebOrigins {
		if !validOrigin(o) {
			p.add(fmt.Sprintf("trusted_web_origins[%d]", i), "%q is not an origin such as https://app.example.com: https (or http on a loopback host), lower case, no path, no trailing slash", o)
		}
	}
}

// withDefaults applies the documented zero values.
func (c Config) withDefaults() Config {
	if c.BasePath == "" {
		c.BasePath = DefaultBasePath
	}
	if c.Scope == "" {
		c.Scope = DefaultScope
	}
	if c.CookiePrefix == "" {
		c.CookiePrefix = DefaultCookiePrefix
	}
	if !c.LoginStartLimit.Enabled() && c.LoginStartsPerMinute > 0 {
		c.LoginStartLimit = usage.PerMinute(c.LoginStartsPerMinute)
	}
	return c
}

// checkURL accepts absolute https URLs, and http ones on a loopback host,
// without fragment or user information; an issuer also without a query
// (OpenID Connect Discovery 1.0 section 3).
func checkURL(raw string, issuer bool) error {
	if raw == "" {
		return errors.New("is required")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Fragment != "" || u.User != nil || issuer && u.RawQuery != "" || !secureOrLoopback(u) {
		return fmt.Errorf("%q is not an https URL (or http on a loopback host) without fragment", raw)
	}
	return nil
}

// secureOrLoopback reports whether u is https, or http on a loopback host:
// cookies and codes must not cross networks in the clear.
func secureOrLoopback(u *url.URL) bool {
	return u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname())
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validOrigin reports whether o is the serialization of an origin (RFC 6454
// section 6.2) as browsers send it in the Origin header.
func validOrigin(o string) bool {
	u, err := url.Parse(o)
	// Browsers leave the scheme's default port out of Origin, so an
	// origin written with it would never match.
	defaultPort := u != nil && (u.Scheme == "https" && u.Port() == "443" || u.Scheme == "http" && u.Port() == "80")
	return err == nil && u.Host != "" && !defaultPort && secureOrLoopback(u) && origin(u) == o && strings.ToLower(o) == o
}

// origin is scheme://host[:port] of u.
func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// validPath reports whether p is a clean absolute path usable as a cookie
// Path attribute.
func validPath(p string) bool {
	return strings.HasPrefix(p, "/") && path.Clean(p) == p &&
		!strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == ';' || r == '?' || r == '#' })
}

// validScope reports whether s is a scope-token (RFC 6749 section 3.3).
func validScope(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x21 || r == 0x22 || r == 0x5c || r > 0x7e })
}
