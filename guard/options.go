package guard

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Options configures a Guard. Issuer and Audience are required, and an
// algorithm list must come from Algorithms or from the issuer's discovery
// document: New refuses to build a guard that leaves any of these open.
// Every other zero value is documented and safe.
type Options struct {
	// Issuer is the authorization server's issuer identifier, compared
	// exactly with "iss" (RFC 9068 section 4). Its discovery document is
	// read from Issuer + "/.well-known/openid-configuration", falling back
	// to "/.well-known/oauth-authorization-server" (RFC 8414 section 3).
	Issuer string

	// Audience is this API's resource identifier; tokens whose "aud" does
	// not contain it are refused (RFC 9068 section 4, RFC 8707).
	Audience string

	// Algorithms lists the JWS algorithms accepted in "alg". Only
	// asymmetric signature algorithms are allowed (RS*, PS*, ES*, EdDSA);
	// "none" and HMAC make New fail (RFC 8725 section 3.1). Zero means the
	// asymmetric ones among the issuer's advertised
	// id_token_signing_alg_values_supported; New fails if that leaves none.
	Algorithms []string

	// TokenTypes lists the accepted "typ" header values, compared without
	// case and with an optional "application/" prefix (RFC 7515
	// section 4.1.9). An empty string in the list accepts tokens without
	// "typ". Zero means only "at+jwt" (RFC 9068 section 2.1).
	TokenTypes []string

	// Leeway is the clock skew tolerated for "exp", "nbf" and "iat".
	// Zero means none.
	Leeway time.Duration

	// Realm is the realm of WWW-Authenticate challenges (RFC 6750
	// section 3). Printable ASCII without quotes or backslashes. Zero means
	// Audience.
	Realm string

	// Introspection enables opaque tokens through the issuer's introspection
	// endpoint. Zero (no ClientID) means tokens that are not JWTs are
	// refused as malformed.
	Introspection Introspection

	// RevocationInterval is how often the issuer's revocation list is
	// polled, and so the bound on how long a revoked JWT is still accepted
	// (plus one request's latency). Zero means 30 seconds; negative turns
	// polling off. Issuers that advertise no
	// portcullis_revocation_list_endpoint are not polled.
	RevocationInterval time.Duration

	// KeyRefreshMin and KeyRefreshMax bound the JWK Set refresh interval
	// taken from the JWKS response's Cache-Control max-age. KeyRefreshMin
	// is also the least time between two fetches triggered by unknown
	// "kid"s, and the retry delay after a failed fetch. Zero means 30
	// seconds and 1 hour.
	KeyRefreshMin time.Duration
	KeyRefreshMax time.Duration

	// CacheSize bounds the number of verified JWTs and introspection
	// answers kept. Zero means 10000.
	CacheSize int

	// HTTPClient fetches discovery, keys and revocations and calls
	// introspection. Zero means a client with a 10 second timeout.
	HTTPClient *http.Client

	// Logger receives failures to reach the issuer and, at debug level,
	// why tokens were refused; it never receives a token. Zero means
	// slog.Default().
	Logger *slog.Logger

	// DPoP configures tokens bound to a key (RFC 9449). Zero means bearer
	// tokens only, bound tokens refused; see DPoP.
	DPoP DPoP

	// Clock returns the current time for validation and rate limits. Zero
	// means time.Now; tests set it to move time without sleeping.
	Clock func() time.Time

	// RetryStart lets New return a guard while the issuer cannot be read:
	// the first fetches (discovery, keys, revocation list) are retried in
	// the background with capped exponential backoff (from 0.5 s,
	// doubling up to KeyRefreshMin, jittered), and until one succeeds the
	// middleware answers every request 503 temporarily_unavailable with
	// Retry-After, Verify returns ErrNotReady, and Ready says why. Servers
	// that report readiness (the gateway) set it, so that they start in
	// any order with their issuer. Zero means New fails when the issuer
	// cannot be read, as it always has: for a library user that is the
	// safer default, since an API whose start succeeds can then check
	// tokens, and a wrong issuer URL stops the start with its cause rather
	// than turning into 503s nobody watches.
	RetryStart bool

	// Observe, if set, is told once of every request Middleware (or
	// MiddlewareWith) and RequireScopes judge, for usage records and
	// metrics: c is the token's Caller, nil when the request was refused
	// before a token was verified (a token refused as expired or revoked
	// did verify, and comes with its Caller), and err is nil for a request let
	// through, else the *Error it was refused with; Outcome(err) names it
	// from a fixed set. It runs on the request path, after the answer: for
	// a request let through, once the handler inside Middleware returns,
	// with the request that handler was given (so a ServeMux inside has
	// set its Pattern), which tells a refusal by a RequireScopes inside
	// from a request let through; for a request refused by Middleware,
	// with the request as received. It must be cheap, must not block and
	// must be safe for concurrent use; it must not keep r. A
	// RequireScopes without its Guard's Middleware around it reports its
	// own refusals. Nil means none: the guard's path then does no more work.
	Observe func(r *http.Request, c *Caller, err error)
}

// Introspection configures the RFC 7662 path for opaque tokens.
type Introspection struct {
	// ClientID and ClientSecret authenticate the guard to the
	// introspection endpoint with client_secret_basic (RFC 7662 section 2.1,
	// RFC 6749 section 2.3.1). An empty ClientID disables introspection.
	// A Portcullis issuer answers inactive for tokens of other clients
	// unless this client is among the API's introspection_clients (or has
	// introspect: any).
	ClientID     string
	ClientSecret string

	// CacheMax bounds how long an active answer is reused; an answer is
	// also never reused past the token's "exp". It is the bound on how long
	// a revoked opaque token is still accepted. Zero means one minute.
	CacheMax time.Duration

	// NegativeCache is how long an inactive answer is reused, so that a
	// client retrying a dead token does not hammer the issuer. Zero means
	// 5 seconds.
	NegativeCache time.Duration
}

// asymmetric holds the algorithms Options.Algorithms may name
// (RFC 7518 section 3.1, RFC 8037 section 3.1).
var asymmetric = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
	jose.EdDSA,
}

// ValidAlgorithm reports whether alg may be listed in Options.Algorithms:
// an asymmetric JWS signature algorithm (RFC 7518 section 3.1, RFC 8037
// section 3.1). Configuration loaders check with it to name the bad key.
func ValidAlgorithm(alg string) bool {
	return slices.Contains(asymmetric, jose.SignatureAlgorithm(alg))
}

// settings are Options with defaults applied and decisions resolved.
type settings struct {
	Options
	algorithms []jose.SignatureAlgorithm
	tokenTypes []string
}

// check enforces the explicit decisions that do not need the issuer.
func (o Options) check() error {
	if o.Issuer == "" {
		return ErrMissingIssuer
	}
	if o.Audience == "" {
		return ErrMissingAudience
	}
	for _, f := range [...]struct {
		name string
		d    time.Duration
	}{
		{"Leeway", o.Leeway}, {"KeyRefreshMin", o.KeyRefreshMin}, {"KeyRefreshMax", o.KeyRefreshMax},
		{"Introspection.CacheMax", o.Introspection.CacheMax}, {"Introspection.NegativeCache", o.Introspection.NegativeCache},
	} {
		if f.d < 0 {
			return fmt.Errorf("%w: %s is negative", ErrInvalidOption, f.name)
		}
	}
	if o.CacheSize < 0 {
		return fmt.Errorf("%w: CacheSize is negative", ErrInvalidOption)
	}
	for _, alg := range o.Algorithms {
		if !ValidAlgorithm(alg) {
			return fmt.Errorf("%w: %q", ErrUnsafeAlgorithm, alg)
		}
	}
	return o.DPoP.check()
}

// resolve applies the defaults that do not depend on the issuer.
func (o Options) resolve() (settings, error) {
	s := settings{Options: o}
	if s.Realm == "" {
		s.Realm = s.Audience
	}
	if !quotable(s.Realm) {
		return s, fmt.Errorf("%w: Realm (or Audience, its default) must be printable ASCII without quotes or backslashes", ErrInvalidOption)
	}
	s.tokenTypes = []string{"at+jwt"}
	if len(o.TokenTypes) > 0 {
		s.tokenTypes = make([]string, len(o.TokenTypes))
		for i, t := range o.TokenTypes {
			s.tokenTypes[i] = normalizeType(t)
		}
	}
	if s.RevocationInterval == 0 {
		s.RevocationInterval = 30 * time.Second
	}
	if s.KeyRefreshMin == 0 {
		s.KeyRefreshMin = 30 * time.Second
	}
	if s.KeyRefreshMax == 0 {
		s.KeyRefreshMax = time.Hour
	}
	if s.KeyRefreshMin > s.KeyRefreshMax {
		return s, fmt.Errorf("%w: KeyRefreshMin exceeds KeyRefreshMax", ErrInvalidOption)
	}
	if s.CacheSize == 0 {
		s.CacheSize = 10000
	}
	if s.Introspection.CacheMax == 0 {
		s.Introspection.CacheMax = time.Minute
	}
	if s.Introspection.NegativeCache == 0 {
		s.Introspection.NegativeCache = 5 * time.Second
	}
	if s.HTTPClient == nil {
		s.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	if s.Clock == nil {
		s.Clock = time.Now
	}
	return s, nil
}

// pickAlgorithms settles the accepted algorithms: Options.Algorithms when
// set, else the asymmetric ones among advertised, the issuer's
// id_token_signing_alg_values_supported. Advertised algorithms are
// filtered rather than refused: an issuer may well sign ID tokens with
// HS256 for some clients.
func (s *settings) pickAlgorithms(advertised []string) error {
	// A retried start settles them anew from what the issuer says now.
	s.algorithms = nil
	algs := s.Algorithms
	if len(algs) == 0 {
		algs = advertised
	}
	for _, alg := range algs {
		if a := jose.SignatureAlgorithm(alg); slices.Contains(asymmetric, a) && !slices.Contains(s.algorithms, a) {
			s.algorithms = append(s.algorithms, a)
		}
	}
	if len(s.algorithms) == 0 {
		return ErrNoAlgorithms
	}
	return nil
}

// normalizeType folds a "typ" value for comparison (RFC 7515 section 4.1.9:
// "application/" may be omitted, and media types compare without case).
func normalizeType(typ string) string {
	typ = strings.ToLower(typ)
	return strings.TrimPrefix(typ, "application/")
}

// quotable reports whether s can stand inside a quoted-string as is.
func quotable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
