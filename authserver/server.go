// Package authserver is the OAuth 2.0 authorization server: the token
// endpoint with client authentication, access token minting (RFC 9068),
// introspection (RFC 7662), revocation (RFC 7009), discovery (RFC 8414 and
// OpenID Connect Discovery) and the JWKS. It holds no state of its own; the
// store and the key manager it is given hold it.
package authserver

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/portcullis/portcullis/keys"
	"github.com/portcullis/portcullis/store"
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
	// APIs are the protected resources tokens are issued for.
	APIs []API
	// Clients are the clients defined in the configuration file. They take
	// precedence over clients in the store and cannot be changed at run
	// time.
	Clients []store.Client
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// HTTPClient fetches clients' jwks_uri documents. Nil means a client
	// with a 10-second timeout.
	HTTPClient *http.Client
}

// DefaultAccessTokenTTL is the access token lifetime when none is configured.
const DefaultAccessTokenTTL = time.Hour

// Store is the part of store.Store the server uses.
type Store interface {
	GetClient(ctx context.Context, id string) (store.Client, error)
	RevokeToken(ctx context.Context, r store.Revocation) error
	IsRevoked(ctx context.Context, jti string) (bool, error)
	ListRevocations(ctx context.Context, after int64, limit int) ([]store.Revocation, error)
	UseOnce(ctx context.Context, key string, expiresAt time.Time) error
}

// KeySet is the part of the key manager (keys.Manager) the server uses.
type KeySet interface {
	Sign(alg, typ string, payload []byte) (string, error)
	PublicKey(kid string) (jose.JSONWebKey, bool)
	Algorithms() []string
	JWKS() []byte
}

// Server serves the authorization server's endpoints.
type Server struct {
	cfg        Config
	store      Store
	keys       KeySet
	log        *slog.Logger
	apis       map[string]*API
	scopeAPIs  map[string][]*API
	clients    map[string]store.Client
	clientKeys *clientKeyCache
	discovery  []byte
	endpoints  endpoints
}

// endpoints are the absolute URLs of the server's endpoints.
type endpoints struct {
	token, introspect, revoke, jwks, revocations string
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
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	s := &Server{
		cfg: cfg, store: st, keys: km, log: log,
		apis: map[string]*API{}, scopeAPIs: map[string][]*API{}, clients: map[string]store.Client{},
		endpoints: endpoints{
			token:       cfg.Issuer + "/token",
			introspect:  cfg.Issuer + "/introspect",
			revoke:      cfg.Issuer + "/revoke",
			jwks:        cfg.Issuer + "/jwks",
			revocations: cfg.Issuer + "/revocations",
		},
	}
	s.clientKeys = newClientKeyCache(cfg.HTTPClient, cfg.Now)
	for i := range cfg.APIs {
		api := &cfg.APIs[i]
		s.apis[api.Identifier] = api
		for _, sc := range api.Scopes {
			s.scopeAPIs[sc] = append(s.scopeAPIs[sc], api)
		}
	}
	for _, c := range cfg.Clients {
		s.clients[c.ID] = c
	}
	var err error
	if s.discovery, err = s.metadata(); err != nil {
		return nil, fmt.Errorf("authserver: %w", err)
	}
	return s, nil
}

// Handler returns the server's routes. Each endpoint also answers other
// methods, with 405 and a JSON error rather than the mux's plain text.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(method, path string, h http.HandlerFunc) {
		mux.HandleFunc(method+" "+path, h)
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", method)
			newError(http.StatusMethodNotAllowed, "invalid_request", "method "+clip(r.Method)+" is not allowed; use "+method).Render(w)
		})
	}
	route("POST", "/token", s.handleToken)
	route("POST", "/introspect", s.handleIntrospect)
	route("POST", "/revoke", s.handleRevoke)
	route("GET", "/revocations", s.handleRevocations)
	route("GET", "/jwks", s.handleJWKS)
	route("GET", "/.well-known/openid-configuration", s.handleDiscovery)
	route("GET", "/.well-known/oauth-authorization-server", s.handleDiscovery)
	return recoverPanics(s.log, mux)
}

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
