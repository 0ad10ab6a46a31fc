package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/admin/registration"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/keys"
	"github.com/portcullis/portcullis/redisstate"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// withAdmin returns the main listener's handler: the authorization server
// as, with the management API at /admin/v1/ and, when registration is
// enabled, dynamic client registration at /register beside it. The API's
// guard reaches the authorization server in process. close stops the
// guard's background refreshes. ks reads and rotates the signing keys
// through the key-encryption keys; limiter and sink are the authorization
// server's: registration's rate limit counts with the others. builtin are
// the clients built into the server (builtinClients). wrap is what every
// request to the server's listener gets (authserver.Server.Wrap: request
// ID, panic recovery, access log, metrics), given to the mounted APIs too.
func withAdmin(ctx context.Context, cfg *config.Config, builtin []store.Client, st store.Store, ks keys.KeyStore, as http.Handler, wrap func(http.Handler) http.Handler, changed func(context.Context),
	limiter usage.Limiter, sink usage.Sink, rs *redisstate.Client, log *slog.Logger) (h http.Handler, close func(), err error) {
	// DPoP-bound tokens are accepted as well as bearer ones (RFC 9449),
	// their proofs' htu being the issuer's URL plus the path, since the
	// API is served on the issuer's listener. Every instance shares the
	// proofs it has seen through Redis when there is one.
	opts := guard.Options{Issuer: cfg.Issuer, Audience: admin.Audience(cfg.Issuer), Logger: log,
		HTTPClient: &http.Client{Transport: inProcess{as}, Timeout: 10 * time.Second},
		DPoP:       guard.DPoP{Mode: guard.DPoPAllowed, PublicURL: cfg.Issuer}}
	if rs != nil {
		opts.DPoP.Replay = rs.DPoPReplay("admin")
	}
	g, err := guard.New(ctx, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("management API: %w", err)
	}
	if rs != nil {
		// A revoked admin token is refused at once, not at the next poll.
		go rs.SubscribeRevocations(ctx, g.RefreshRevocations)
	}
	var users []string
	for _, u := range cfg.Users {
		users = append(users, u.Username)
	}
	ascfg := cfg.AuthServer()
	srv, err := admin.New(admin.Config{Issuer: cfg.Issuer, Store: st, Rules: cfg, Guard: g,
		FileClients: ascfg.Clients, BuiltinClients: builtin, FileAPIs: cfg.APIs, FileUsers: users,
		AccessTokenTTL: cfg.AccessTokenTTL, Changed: changed, Log: log,
		Keys: ks, KeyAlgorithms: cfg.Algorithms(), KeyRetention: cfg.KeyRetention(), TrustedProxies: ascfg.TrustedProxies})
	if err != nil {
		g.Close()
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(admin.PathPrefix, wrap(srv.Handler()))
	if cfg.Registration.Enabled {
		// Admin tokens are initial access tokens too: the same guard
		// checks them.
		reg, err := registration.New(registration.Config{Issuer: cfg.Issuer, Store: st, Rules: cfg, Guard: g,
			InitialAccessTokens: cfg.Registration.InitialAccessTokens, Scopes: cfg.Registration.Scopes,
			AccessTokenTTL: cfg.AccessTokenTTL, Limit: *cfg.RateLimits.Register, Limiter: limiter, Usage: sink,
			TrustedProxies: ascfg.TrustedProxies, Changed: changed, Log: log})
		if err != nil {
			g.Close()
			return nil, nil, err
		}
		mux.Handle(registration.Path, wrap(reg.Handler()))
		mux.Handle(registration.Path+"/", wrap(reg.Handler()))
	}
	mux.Handle("/", as)
	return mux, g.Close, nil
}
