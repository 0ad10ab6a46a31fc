package admin

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/keys"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/requestid"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// PathPrefix is where the management API is served, on the issuer's
// listener. A tenant's API will live under its issuer's path, so nothing
// here assumes the issuer is a bare origin.
const PathPrefix = "/admin/v1/"

// Audience is the resource identifier of the management API for an
// issuer: its tokens must be for it (RFC 8707).
func Audience(issuer string) string { return registry.AdminAudience(issuer) }

// The management API's scopes, one read and one write scope per
// collection, are registry's, so the configuration can grant them.
const (
	ScopeClientsRead  = registry.ScopeClientsRead
	ScopeClientsWrite = registry.ScopeClientsWrite
	ScopeAPIsRead     = registry.ScopeAPIsRead
	ScopeAPIsWrite    = registry.ScopeAPIsWrite
	ScopeUsersRead    = registry.ScopeUsersRead
	ScopeUsersWrite   = registry.ScopeUsersWrite
	ScopeGrantsRead   = registry.ScopeGrantsRead
	ScopeGrantsWrite  = registry.ScopeGrantsWrite
	ScopeKeysRead     = registry.ScopeKeysRead
	ScopeKeysWrite    = registry.ScopeKeysWrite
	ScopeAuditRead    = registry.ScopeAuditRead
	ScopeUsageRead    = registry.ScopeUsageRead
)

// Rules validates what is registered at run time with the rules of the
// configuration file (config.Config implements it), so the YAML, the CLI,
// the management API and dynamic registration accept the same clients.
type Rules interface {
	// NewClient validates cl, knowing the stored APIs' scopes, and returns
	// it as the store keeps it; its error joins *config.FieldErrors.
	NewClient(cl registry.Client, stored []store.API) (store.Client, error)
	// ReplaceClient validates cl as the new metadata of the stored client
	// old, keeping its secret digests, and returns a generated secret when
	// the client moves to a secret auth method without one.
	ReplaceClient(old store.Client, cl registry.Client, stored []store.API, now time.Time) (store.Client, string, error)
	// NewAPI validates a; client tells whether an ID names a client and
	// whether that client is public.
	NewAPI(a registry.API, client func(id string) (public, ok bool)) (store.API, error)
}

// Config is what the management API needs. Store, Rules and Guard are
// required.
type Config struct {
	// Issuer is the authorization server's issuer identifier.
	Issuer string
	// Store holds what the API manages.
	Store store.Store
	// Rules validates clients and APIs.
	Rules Rules
	// Guard checks every request's access token: its audience must be
	// Audience(Issuer). Each route then requires its scope.
	Guard *guard.Guard
	// FileClients, FileAPIs and FileUsers are what the configuration file
	// defines: listed with source "config", and refused changes (409).
	FileClients []store.Client
	FileAPIs    []registry.API
	FileUsers   []string
	// BuiltinClients are clients built into the server (the console's,
	// when it is enabled): listed with source "builtin", never with a
	// secret, and refused changes (409).
	BuiltinClients []store.Client
	// Registration opens dynamic client registration (RFC 7591, 7592)
	// at /register, to holders of an initial access token: an access
	// token of the management API with admin:clients:write, or one of
	// InitialAccessTokens. False answers 404 there.
	Registration bool
	// InitialAccessTokens are one-time initial access tokens for
	// registration: each registers one client, then is spent (in the
	// store, so on every instance). Empty means only admin tokens.
	InitialAccessTokens []string
	// RegistrationScopes are the API scopes a client registered with one
	// of InitialAccessTokens may ask for, besides OpenID Connect's. Empty
	// means OpenID Connect scopes only.
	RegistrationScopes []string
	// AccessTokenTTL is the longest lifetime of an access token: a
	// revocation of a user's or a client's tokens (a cutoff) and of one
	// token (a jti) is kept that long plus store.CutoffSkew. Zero means
	// authserver.DefaultAccessTokenTTL.
	AccessTokenTTL time.Duration
	// Keys is the signing keys as keys.Sealed shows them, their private
	// parts decrypted; the routes show only the public parts. Nil means
	// Store, whose keys must then be kept in plaintext.
	Keys keys.KeyStore
	// KeyAlgorithms are the algorithms the deployment keeps keys for
	// (config.Config.Algorithms); the first is the one a rotation without
	// alg rotates. Nil means ES256 and RS256, the configuration's
	// defaults.
	KeyAlgorithms []string
	// KeyRetention is how long a retired key stays published
	// (config.Config.KeyRetention). Zero means a day, longer than any
	// default token lifetime, so a rotation never drops a key a token in
	// use was signed with.
	KeyRetention time.Duration
	// RegisterLimit limits dynamic registration per client address (an
	// IPv6 /64): every POST /register, and the refused requests at the
	// configuration endpoints (registerlimit.go). A zero Limit limits
	// nothing (the configuration file has a default: rate_limits.register).
	RegisterLimit usage.Limit
	// Limiter decides RegisterLimit for every instance at once
	// (redisstate's). Nil means each instance's memory.
	Limiter usage.Limiter
	// Usage receives the refusals of RegisterLimit as RateLimited
	// events. Nil means nowhere.
	Usage usage.Sink
	// TrustedProxies are the reverse proxies whose X-Forwarded-For
	// names the client address RegisterLimit counts. Nil trusts none.
	TrustedProxies []netip.Prefix
	// Changed is called after every change to clients or APIs has
	// committed, so that other instances reload them at once (a Redis
	// notice). Nil means they find out by polling.
	Changed func(context.Context)
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// Log receives store failures; never a secret.
	Log *slog.Logger
}

// Server serves the management API.
type Server struct {
	cfg Config
	mux *http.ServeMux
	// limits applies RegisterLimit.
	limits *usage.Gate
}

// New builds the management API's handlers.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Rules == nil || cfg.Guard == nil || cfg.Issuer == "" {
		return nil, errors.New("admin: Issuer, Store, Rules and Guard are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.AccessTokenTTL = cmp.Or(cfg.AccessTokenTTL, authserver.DefaultAccessTokenTTL)
	if cfg.Keys == nil {
		cfg.Keys = cfg.Store
	}
	if len(cfg.KeyAlgorithms) == 0 {
		cfg.KeyAlgorithms = []string{keys.ES256, keys.RS256}
	}
	cfg.KeyRetention = cmp.Or(cfg.KeyRetention, 24*time.Hour)
	if cfg.Changed == nil {
		cfg.Changed = func(context.Context) {}
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), limits: usage.NewGate(cfg.Limiter, cfg.Usage, cfg.Now)}
	s.routes()
	return s, nil
}

// Handler serves every path under PathPrefix and, for dynamic client
// registration, RegisterPath and the paths under it; mount it at all
// three.
func (s *Server) Handler() http.Handler { return requestid.Middleware(s.mux) }

// route registers pattern ("GET /admin/v1/clients") behind the guard and
// the scope it needs. Other methods on the path answer 405 (the mux's
// own) and unknown paths 404, both as problems (notFound).
func (s *Server) route(pattern, scope string, h http.HandlerFunc) {
	g := s.cfg.Guard
	s.mux.Handle(pattern, g.Middleware(g.RequireScopes(scope)(h)))
}

// routes registers every route. Each collection's file adds its own.
func (s *Server) routes() {
	s.mux.HandleFunc(PathPrefix, func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, problemNotFound, "no such resource in the management API; see "+PathPrefix+"openapi.json")
	})
	s.mux.HandleFunc("GET "+PathPrefix+"openapi.json", s.openAPI)
	s.clientRoutes()
	s.apiRoutes()
	s.registerRoutes()
	s.userRoutes()
	s.sessionRoutes()
	s.grantRoutes()
	s.revocationRoutes()
	s.keyRoutes()
	s.auditRoutes()
	s.usageRoutes()
}

// failed answers a store failure: 503 for a fault the database may
// recover from, else 500, logged with the request ID and never echoed.
func (s *Server) failed(w http.ResponseWriter, r *http.Request, err error) {
	s.cfg.Log.ErrorContext(r.Context(), "management API: store failed", "path", r.URL.Path, "err", err,
		"request_id", requestid.From(r.Context()))
	var wf *store.WriteFault
	if errors.As(err, &wf) || errors.Is(err, context.DeadlineExceeded) {
		w.Header().Set("Retry-After", "1")
		writeProblem(w, http.StatusServiceUnavailable, problemUnavailable, "the store is unavailable; retry shortly")
		return
	}
	writeProblem(w, http.StatusInternalServerError, "internal", "the request failed; its request ID is in the server log")
}

// actor is who made a request: the access token's client and, for a
// user's token, the user.
func actor(r *http.Request) (clientID, subject string) {
	c, ok := guard.CallerFromContext(r.Context())
	if !ok {
		return "", ""
	}
	sub := c.Subject()
	if sub == c.ClientID() {
		sub = "" // a client credentials token's sub is its client
	}
	return c.ClientID(), sub
}

// record stores an audit event for a change at once, naming the acting
// client and user in its detail: changes are rare and must not be lost,
// so it does not go through the batching recorder. A failure is logged:
// the change has committed.
func (s *Server) record(r *http.Request, typ string, e store.AuditEvent) {
	cid, sub := actor(r)
	if e.Detail == nil {
		e.Detail = map[string]any{}
	}
	if cid != "" {
		e.Detail["actor_client_id"] = cid
	}
	if sub != "" {
		e.Detail["actor_sub"] = sub
	}
	e.Type, e.Time, e.RequestID = typ, s.cfg.Now(), requestid.From(r.Context())
	e.Remote = "admin-api"
	if err := s.cfg.Store.AppendAudit(context.WithoutCancel(r.Context()), []store.AuditEvent{e}); err != nil {
		s.cfg.Log.ErrorContext(r.Context(), "management API: record change in the audit trail", "type", typ, "err", err)
	}
}

// pathID returns the path value name, which the mux has unescaped.
func pathID(r *http.Request, name string) string { return r.PathValue(name) }
