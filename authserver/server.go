// Package authserver is the OAuth 2.0 authorization server: the token
// endpoint with client authentication, access token minting (RFC 9068),
// introspection (RFC 7662), revocation (RFC 7009), discovery (RFC 8414 and
// OpenID Connect Discovery) and the JWKS. It holds no state of its own; the
// store and the key manager it is given hold it.
//
// It also decides what the browser-facing sign-in (package signin) cannot
// decide alone: whether an authorization request is valid, whether a pushed
// one exists, which clients exist. Handler serves the sign-in routes too.
package authserver

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/authserver/signin"
	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/internal/outbound"
	"github.com/portcullis/portcullis/internal/ratelimit"
	"github.com/portcullis/portcullis/internal/ratelog"
	"github.com/portcullis/portcullis/internal/tokencache"
	"github.com/portcullis/portcullis/keys"
	"github.com/portcullis/portcullis/requestid"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/theme"
	"github.com/portcullis/portcullis/usage"
	"github.com/portcullis/portcullis/users"
)

// Config is what the authorization server needs from the configuration file.
// It must be valid: the config package validates it once at start.
type Config struct {
	// Issuer is the issuer identifier (RFC 8414 section 2), the URL every
	// endpoint is published under.
	Issuer string
	// AccessTokenTTL is the lifetime of access tokens. Zero means one hour.
	AccessTokenTTL time.Duration
	// AccessTokenAlg signs access tokens. Empty means ES256.
	AccessTokenAlg string
	// APIs are the protected resources of the configuration file, the
	// built-in management API among them. Those of the store join them at
	// each ReloadAPIs.
	APIs []API
	// DefaultAudience is the default audience policy of clients that set
	// none: store.AudienceSingle or store.AudienceAll. Empty means
	// store.AudienceSingle.
	DefaultAudience string
	// Clients are the clients defined in the configuration file. They take
	// precedence over clients in the store and cannot be changed at run
	// time.
	Clients []store.Client
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// AllowPrivateJWKSURI lets clients' jwks_uri documents be fetched
	// from loopback, link-local, private and reserved addresses. False
	// refuses them, so that a client cannot make the server reach into its
	// own network; tests and development, whose key servers run on
	// loopback, set it.
	AllowPrivateJWKSURI bool

	// IDTokenTTL is the lifetime of ID tokens. Zero means one hour.
	IDTokenTTL time.Duration
	// RefreshIdleTTL is how long an unused refresh token lives. Zero
	// means 14 days.
	RefreshIdleTTL time.Duration
	// RefreshMaxTTL is the absolute lifetime of a refresh token family,
	// however often it is used. Zero means 90 days.
	RefreshMaxTTL time.Duration
	// RefreshGrace is how long after a rotation the old refresh token
	// still yields the same successor, for clients whose response got
	// lost, provided the successor was never presented. Zero means 5
	// seconds; at most store.MaxRefreshGrace.
	RefreshGrace time.Duration
	// SessionTTL is how long a sign-in lasts. Zero means 12 hours.
	SessionTTL time.Duration
	// Throttle slows down password guessing per account at one client
	// address (users.LoginKeys), so that guesses from elsewhere never lock
	// the owner out. Nil means an in-memory users.NewThrottle; several
	// instances share one through Redis.
	Throttle Throttle
	// AddressThrottle slows down guessing per client address, more
	// leniently since people share addresses. Nil means an in-memory
	// users.NewAddressThrottle.
	AddressThrottle Throttle
	// TrustedProxies are the addresses of reverse proxies whose
	// X-Forwarded-For is believed when telling the client's address.
	// Empty means the peer address is the client's.
	TrustedProxies []netip.Prefix
	// Observer receives every request's outcome and every issued token,
	// for metrics. Nil means none.
	Observer Observer
	// Usage is told of every access token issued (usage.TokenIssued, one
	// event per API the token is for) and every introspection answered
	// (usage.Introspected), and of every request a rate limit refuses
	// (usage.RateLimited), for usage records and anomaly detection. It
	// runs on the request path and must not block. Nil means none.
	Usage usage.Sink
	// Auditor records security events. Nil means they are only logged.
	Auditor Auditor
	// Suspensions tells which clients are suspended: they are refused
	// authentication (invalid_client) at every endpoint. Nil means none
	// is.
	Suspensions Suspensions
	// KeysEncrypted says whether signing keys are encrypted at rest with a
	// key-encryption key; /readyz reports it. False (plaintext) does not
	// make the instance unready.
	KeysEncrypted bool
	// RedisHealthy reports, without waiting, whether the shared Redis
	// answers; /readyz reports it as "redis": "ok" or "degraded", without
	// failing, since everything Redis does falls back without it. Nil
	// means no Redis is configured, and /readyz leaves it out.
	RedisHealthy func() bool
	// Secret keys the MACs the server computes for itself: the sign-in
	// forms' CSRF tokens and the digests of unknown usernames in the audit
	// trail. Every instance behind one issuer must have the same one;
	// keys.Secret reads it from the store, creating it on first start.
	// Required: at least keys.SecretSize bytes.
	Secret []byte
	// Theme names and colours the sign-in pages. Nil means
	// theme.Default().
	Theme *theme.Theme
	// TemplatesDir is a folder of page templates that replace the
	// embedded ones of the same file name; one that does not parse stops
	// New. Empty means none.
	TemplatesDir string
	// MFA is the multi-factor policy and the passkeys' relying party.
	// The zero value: no factor required, passkeys and TOTP allowed, the
	// issuer's host and origin for WebAuthn.
	MFA MFA
	// Connectors are the upstream identity providers the sign-in page
	// offers (issue #19), in the order shown. Empty means none.
	Connectors []Connector
	// PasswordDisabled hides the password form and refuses password
	// sign-ins, leaving passkeys and connectors (config's
	// password.enabled: false).
	PasswordDisabled bool
	// PendingPerAddress bounds the pending authorization requests (from
	// /authorize and /par, until used or expired) one client address may
	// hold on this instance; IPv6 addresses count by /64. Zero means
	// DefaultPendingPerAddress.
	PendingPerAddress int
	// PendingTotal bounds the pending authorization requests of this
	// instance. Zero means DefaultPendingTotal.
	PendingTotal int
	// DPoP configures DPoP proofs (RFC 9449), which every token request
	// may carry. The zero value needs no server nonces and allows a
	// minute's clock skew.
	DPoP DPoP
	// RateLimits limit how often a client, or a client address, may call
	// the endpoints (ratelimit.go). The zero value limits nothing.
	RateLimits RateLimits
	// Limiter decides the rate limits for every instance at once
	// (redisstate.Client.Limiter). Nil means each instance's memory.
	Limiter usage.Limiter
	// Registration says that dynamic client registration (RFC 7591) is
	// served at Issuer + "/register", which discovery then advertises as
	// registration_endpoint. False leaves it out.
	Registration bool
}

// Observer is told what the server does.
type Observer interface {
	// Request reports one request: the route pattern that served it, its
	// status and, for an OAuth error answer, the error code.
	Request(route, method string, status int, oauthError string, d time.Duration)
	// TokenIssued reports an access token issued by a grant to a client.
	TokenIssued(grantType, clientID string)
}

type noObserver struct{}

func (noObserver) Request(string, string, int, string, time.Duration) {}
func (noObserver) TokenIssued(string, string)                         {}

// Throttle counts sign-in attempts per key (an account at an address, an
// address) and says how long the next attempt must wait. The sign-in pages use it
// (signin.Throttle); users.Throttle implements it in memory, redisstate
// shares it between instances.
type Throttle = signin.Throttle

// Defaults for the zero values of Config.
const (
	DefaultAccessTokenTTL = time.Hour
	DefaultIDTokenTTL     = time.Hour
	DefaultRefreshIdleTTL = 14 * 24 * time.Hour
	DefaultRefreshMaxTTL  = 90 * 24 * time.Hour
	DefaultRefreshGrace   = 5 * time.Second
	DefaultSessionTTL     = 12 * time.Hour
)

// Store is the storage the server needs: all of it.
type Store = store.Store

// KeySet is the part of the key manager (keys.Manager) the server uses.
type KeySet interface {
	Sign(alg, typ string, payload []byte) (string, error)
	PublicKey(kid string) (jose.JSONWebKey, bool)
	Algorithms() []string
	JWKS() []byte
}

// Server serves the authorization server's endpoints.
type Server struct {
	cfg   Config
	store Store
	keys  KeySet
	log   *slog.Logger
	// apis is the current snapshot of the APIs, swapped whole by
	// ReloadAPIs (catalog.go); reload serializes the reloads, changed
	// asks RunAPIs for one (APIsChanged) and reloadLog reports their
	// failures.
	apis       atomic.Pointer[catalog]
	reload     sync.Mutex
	changed    chan struct{}
	reloadLog  *ratelog.Logger
	clients    map[string]store.Client
	clientKeys *clientKeyCache
	endpoints  endpoints
	// signin serves the browser-facing endpoints (package signin).
	signin *signin.Server
	// pending counts the pending authorization requests of client
	// addresses (pending.go).
	pending *ratelimit.Limiter
	// draining is set once the process is shutting down, starting until
	// it listens everywhere (health.go).
	draining, starting atomic.Bool
	// writes tells whether the store takes writes, for /readyz
	// (writecheck.go).
	writes *writeCheck
	// proofs checks DPoP proofs (dpop.go).
	proofs *dpop.Verifier
	// limits applies the rate limits (ratelimit.go).
	limits *usage.Gate
	// verified remembers the access tokens introspection verified
	// (introspect.go).
	verified *tokencache.Cache[seenToken]
}

// endpoints are the absolute URLs of the server's endpoints.
type endpoints struct {
	token, introspect, revoke, jwks, revocations     string
	authorize, par, userinfo, logout, login, consent string
	// registration is empty unless Config.Registration is set.
	registration string
}

// New builds a Server.
func New(cfg Config, st Store, km KeySet, log *slog.Logger) (*Server, error) {
	if cfg.AccessTokenTTL == 0 {
		cfg.AccessTokenTTL = DefaultAccessTokenTTL
	}
	if cfg.AccessTokenAlg == "" {
		cfg.AccessTokenAlg = keys.ES256
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.IDTokenTTL = cmp.Or(cfg.IDTokenTTL, DefaultIDTokenTTL)
	cfg.RefreshIdleTTL = cmp.Or(cfg.RefreshIdleTTL, DefaultRefreshIdleTTL)
	cfg.RefreshMaxTTL = cmp.Or(cfg.RefreshMaxTTL, DefaultRefreshMaxTTL)
	cfg.RefreshGrace = min(cmp.Or(cfg.RefreshGrace, DefaultRefreshGrace), store.MaxRefreshGrace)
	cfg.SessionTTL = cmp.Or(cfg.SessionTTL, DefaultSessionTTL)
	cfg.PendingPerAddress = cmp.Or(cfg.PendingPerAddress, DefaultPendingPerAddress)
	cfg.PendingTotal = cmp.Or(cfg.PendingTotal, DefaultPendingTotal)
	if cfg.Throttle == nil {
		cfg.Throttle = users.NewThrottle()
	}
	if cfg.AddressThrottle == nil {
		cfg.AddressThrottle = users.NewAddressThrottle()
	}
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	if cfg.Auditor == nil {
		cfg.Auditor = logAuditor{log}
	}
	if _, err := url.Parse(cfg.Issuer); err != nil {
		return nil, fmt.Errorf("authserver: issuer: %w", err)
	}
	if err := cfg.RateLimits.check(); err != nil {
		return nil, fmt.Errorf("authserver: %w", err)
	}
	if len(cfg.Secret) < keys.SecretSize {
		return nil, fmt.Errorf("authserver: the secret must have at least %d bytes (keys.Secret)", keys.SecretSize)
	}
	s := &Server{
		cfg: cfg, store: st, keys: km, log: log,
		clients: map[string]store.Client{}, changed: make(chan struct{}, 1), reloadLog: ratelog.New(log, time.Minute),
		endpoints: endpoints{
			token:       cfg.Issuer + "/token",
			introspect:  cfg.Issuer + "/introspect",
			revoke:      cfg.Issuer + "/revoke",
			jwks:        cfg.Issuer + "/jwks",
			revocations: cfg.Issuer + "/revocations",
			authorize:   cfg.Issuer + "/authorize",
			par:         cfg.Issuer + "/par",
			userinfo:    cfg.Issuer + "/userinfo",
			logout:      cfg.Issuer + "/logout",
			login:       cfg.Issuer + "/login",
			consent:     cfg.Issuer + "/consent",
		},
	}
	s.clientKeys = newClientKeyCache(outbound.NewClient(cfg.AllowPrivateJWKSURI), cfg.Now)
	s.pending = ratelimit.New(cfg.PendingPerAddress, cfg.PendingTotal)
	s.limits = usage.NewGate(cfg.Limiter, cfg.Usage, cfg.Now)
	s.verified = tokencache.New[seenToken](verifiedTokens)
	s.writes = &writeCheck{probe: s.store.Probe, now: cfg.Now}
	for _, c := range cfg.Clients {
		s.clients[c.ID] = c
	}
	var err error
	if s.proofs, err = newProofVerifier(cfg, st); err != nil {
		return nil, fmt.Errorf("authserver: dpop: %w", err)
	}
	if cfg.Registration {
		s.endpoints.registration = cfg.Issuer + "/register"
	}
	// The file's APIs and clients only: the stored ones come with the
	// first ReloadAPIs, so that New makes no store call.
	cat, err := s.newCatalog(nil, nil)
	if err != nil {
		return nil, fmt.Errorf("authserver: %w", err)
	}
	s.apis.Store(cat)
	if s.signin, err = newSignin(s); err != nil {
		return nil, fmt.Errorf("authserver: %w", err)
	}
	return s, nil
}

// Handler returns the server's routes. Each endpoint also answers other
// methods, with 405 and a JSON error rather than the mux's plain text.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(path string, h http.HandlerFunc, methods ...string) {
		for _, m := range methods {
			mux.HandleFunc(m+" "+path, h)
		}
		allow := strings.Join(methods, ", ")
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			newError(http.StatusMethodNotAllowed, "invalid_request", "method "+wire.Clip(r.Method)+" is not allowed; use "+allow).Render(w)
		})
	}
	route("/token", s.handleToken, "POST")
	route("/introspect", s.countFailures(usage.LimitIntrospectFailures, s.cfg.RateLimits.IntrospectFailures, s.handleIntrospect), "POST")
	route("/revoke", s.countFailures(usage.LimitRevokeFailures, s.cfg.RateLimits.RevokeFailures, s.handleRevoke), "POST")
	route("/par", s.handlePAR, "POST")
	route("/revocations", s.handleRevocations, "GET")
	route("/jwks", s.handleJWKS, "GET")
	route("/.well-known/openid-configuration", s.handleDiscovery, "GET")
	route("/.well-known/oauth-authorization-server", s.handleDiscovery, "GET")
	// OpenID Connect requires both GET and POST.
	route("/userinfo", s.handleUserInfo, "GET", "POST")
	// /authorize, /login, /consent, /logout and the pages' stylesheet.
	s.signin.Routes(route)
	route("/healthz", s.handleHealth, "GET")
	route("/readyz", s.handleReady, "GET")
	return s.Wrap(s.cors(mux))
}

// Wrap gives h what every request to the server's listener gets: a
// request ID, a 500 instead of a dropped connection on a panic, the
// access log and the metrics. Handler's routes have it; serve wraps the
// handlers it mounts beside them (the console) with it too, so that their
// pages show a request ID the logs carry.
func (s *Server) Wrap(h http.Handler) http.Handler {
	return requestid.Middleware(recoverPanics(s.log, s.observe(h)))
}

// observe reports every request to the Observer and the access log. The
// mux sets r.Pattern on the request it serves, which names the endpoint
// without the unbounded variety of raw paths; the handlers between must
// pass the request on unchanged for it to show here.
func (s *Server) observe(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		mux.ServeHTTP(rec, r)
		d := time.Since(start)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		s.cfg.Observer.Request(route, r.Method, rec.status, rec.oauthError, d)
		// Asked first: building the arguments costs allocations on every
		// request even when debug records are dropped.
		if s.log.Enabled(r.Context(), slog.LevelDebug) {
			s.log.DebugContext(r.Context(), "request", "method", r.Method, "route", route, "status", rec.status,
				"error", rec.oauthError, "duration_ms", float64(d.Microseconds())/1000, "remote", r.RemoteAddr)
		}
	})
}

// recorder remembers the status and the OAuth error code of a response.
type recorder struct {
	http.ResponseWriter
	status     int
	oauthError string
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) setOAuthError(code string) { r.oauthError = code }

// recoverPanics turns a panic into a 500 server_error instead of a dropped
// connection, and logs it. It is a last resort: no input should reach it.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic serving request", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				errServer().Render(w)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
