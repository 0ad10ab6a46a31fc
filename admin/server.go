package admin

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/portcullis/portcullis/admin/internal/change"
	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/admin/people"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/keys"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/requestid"
	"github.com/portcullis/portcullis/store"
)

// PathPrefix is where the management API is served, on the issuer's
// listener. A tenant's API will live under its issuer's path, so nothing
// here assumes the issuer is a bare origin.
const PathPrefix = rest.PathPrefix

// Problem is the RFC 9457 problem details object that every error of the
// management API answers with (application/problem+json).
type Problem = rest.Problem

// FieldProblem is one bad value of a Problem: Field is its key
// ("redirect_uris[0]"), empty for the whole object.
type FieldProblem = rest.FieldProblem

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
// the management API and dynamic registration (admin/registration) accept
// the same clients.
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
	// Changed is called after every change to clients or APIs has
	// committed, so that other instances reload them at once (a Redis
	// notice). Nil means they find out by polling.
	Changed func(context.Context)
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// Log receives store failures; never a secret.
	Log *slog.Logger
	// TrustedProxies are the reverse proxies whose X-Forwarded-For tells
	// a caller's address, which the audit events of changes record. Nil
	// trusts none.
	TrustedProxies []netip.Prefix
}

// Server serves the management API.
type Server struct {
	cfg Config
	mux *http.ServeMux
	// ch makes the changes to clients that registration shares, and
	// records every change.
	ch *change.Changer
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
	s := &Server{cfg: cfg, mux: http.NewServeMux(), ch: &change.Changer{Store: cfg.Store, Rules: cfg.Rules, Changed: cfg.Changed,
		TokenTTL: cfg.AccessTokenTTL, Now: cfg.Now, Log: cfg.Log, TrustedProxies: cfg.TrustedProxies}}
	s.routes()
	return s, nil
}

// Handler serves every path under PathPrefix.
func (s *Server) Handler() http.Handler { return requestid.Middleware(s.mux) }

// route registers pattern ("GET /admin/v1/clients") behind the guard and
// the scope it needs. Other methods on the path answer 405 (the mux's
// own) and unknown paths 404, both as problems (notFound).
func (s *Server) route(pattern, scope string, h http.HandlerFunc) {
	g := s.cfg.Guard
	s.mux.Handle(pattern, g.Middleware(g.RequireScopes(scope)(h)))
}

// routes registers every route. Each collection's file adds its own;
// users, their sessions and grants, and revocations are admin/people's,
// registered through the same route.
func (s *Server) routes() {
	s.mux.HandleFunc(PathPrefix, func(w http.ResponseWriter, r *http.Request) {
		rest.WriteProblem(w, http.StatusNotFound, rest.ProblemNotFound, "no such resource in the management API; see "+PathPrefix+"openapi.json")
	})
	s.mux.HandleFunc("GET "+PathPrefix+"openapi.json", s.openAPI)
	s.clientRoutes()
	s.apiRoutes()
	people.Mount(people.Config{Route: s.route, Change: s.ch, FileUsers: s.cfg.FileUsers})
	s.keyRoutes()
	s.auditRoutes()
	s.usageRoutes()
}

// failed answers a store failure (rest.Failed).
func (s *Server) failed(w http.ResponseWriter, r *http.Request, err error) {
	rest.Failed(w, r, s.cfg.Log, err)
}

// writeError answers the error of a change (rest.WriteChangeError).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error, what string) {
	rest.WriteChangeError(w, r, s.cfg.Log, err, what)
}

// pathID returns the path value name, which the mux has unescaped.
func pathID(r *http.Request, name string) string { return r.PathValue(name) }
