package registration

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/portcullis/portcullis/admin/internal/change"
	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/requestid"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// Path is the dynamic client registration endpoint (RFC 7591); each
// client's configuration endpoint (RFC 7592) is under it.
const Path = "/register"

// Rules validates registered clients with the rules of the configuration
// file (config.Config implements it), so the YAML, the CLI, the
// management API and registration accept the same clients.
type Rules interface {
	// NewClient validates cl, knowing the stored APIs' scopes, and returns
	// it as the store keeps it; its error joins *config.FieldErrors.
	NewClient(cl registry.Client, stored []store.API) (store.Client, error)
	// ReplaceClient validates cl as the new metadata of the stored client
	// old, keeping its secret digests, and returns a generated secret when
	// the client moves to a secret auth method without one.
	ReplaceClient(old store.Client, cl registry.Client, stored []store.API, now time.Time) (store.Client, string, error)
}

// Config is what registration needs. Issuer, Store, Rules and Guard are
// required.
type Config struct {
	// Issuer is the authorization server's issuer identifier; each
	// client's registration_client_uri is under it.
	Issuer string
	// Store holds the registered clients and the spent one-time tokens.
	Store store.Store
	// Rules validates clients.
	Rules Rules
	// Guard checks the access tokens of the management API that serve as
	// initial access tokens (its audience admin.Audience(Issuer)): one
	// with admin:clients:write may register clients.
	Guard *guard.Guard
	// InitialAccessTokens are one-time initial access tokens: each
	// registers one client, then is spent (in the store, so on every
	// instance). Empty means only admin tokens.
	InitialAccessTokens []string
	// Scopes are the API scopes a client registered with one of
	// InitialAccessTokens may ask for, besides OpenID Connect's. Empty
	// means OpenID Connect scopes only.
	Scopes []string
	// AccessTokenTTL is the longest lifetime of an access token: deleting
	// a registration revokes the client's tokens with a cutoff kept that
	// long plus store.CutoffSkew. Zero means
	// authserver.DefaultAccessTokenTTL.
	AccessTokenTTL time.Duration
	// Limit limits registration per client address (an IPv6 /64): every
	// POST /register, and the refused requests at the configuration
	// endpoints (limit.go). A zero Limit limits nothing (the
	// configuration file has a default: rate_limits.register).
	Limit usage.Limit
	// Limiter decides Limit for every instance at once (redisstate's).
	// Nil means each instance's memory.
	Limiter usage.Limiter
	// Usage receives the refusals of Limit as RateLimited events. Nil
	// means nowhere.
	Usage usage.Sink
	// TrustedProxies are the reverse proxies whose X-Forwarded-For
	// names the client address Limit counts. Nil trusts none.
	TrustedProxies []netip.Prefix
	// Changed is called after every change to clients has committed, so
	// that other instances reload them at once (a Redis notice). Nil
	// means they find out by polling.
	Changed func(context.Context)
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// Log receives store failures; never a secret.
	Log *slog.Logger
}

// Server serves dynamic client registration.
type Server struct {
	cfg Config
	mux *http.ServeMux
	// ch validates, stores and deletes clients as the management API
	// does, and records every change.
	ch *change.Changer
	// limits applies Limit.
	limits *usage.Gate
}

// New builds the registration handlers.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Rules == nil || cfg.Guard == nil || cfg.Issuer == "" {
		return nil, errors.New("registration: Issuer, Store, Rules and Guard are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.AccessTokenTTL == 0 {
		cfg.AccessTokenTTL = authserver.DefaultAccessTokenTTL
	}
	if cfg.Changed == nil {
		cfg.Changed = func(context.Context) {}
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), limits: usage.NewGate(cfg.Limiter, cfg.Usage, cfg.Now),
		ch: &change.Changer{Store: cfg.Store, Rules: cfg.Rules, Changed: cfg.Changed, TokenTTL: cfg.AccessTokenTTL, Now: cfg.Now, Log: cfg.Log,
			TrustedProxies: cfg.TrustedProxies}}
	// Its requests carry their own tokens (initial access tokens,
	// registration access tokens) and answer OAuth errors, not problems.
	s.mux.HandleFunc("POST "+Path, s.limit(true, s.register))
	s.mux.HandleFunc("GET "+Path+"/{client_id}", s.limit(false, s.read))
	s.mux.HandleFunc("PUT "+Path+"/{client_id}", s.limit(false, s.update))
	s.mux.HandleFunc("DELETE "+Path+"/{client_id}", s.limit(false, s.delete))
	return s, nil
}

// Handler serves Path and the paths under it; mount it at both.
func (s *Server) Handler() http.Handler { return requestid.Middleware(s.mux) }

// failed answers a store failure as the management API does
// (rest.Failed).
func (s *Server) failed(w http.ResponseWriter, r *http.Request, err error) {
	rest.Failed(w, r, s.cfg.Log, err)
}
