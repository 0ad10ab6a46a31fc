package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/portcullis/portcullis/config"
)

// devUpstream is the demo's second authorization server, the upstream
// identity provider that the first offers on its sign-in page ("Continue
// with Upstream IdP (demo)", the connector upstream). Its URLs name
// localhost, not 127.0.0.1: a browser keeps cookies by host, not port,
// and the two servers' cookies have the same names.
const devUpstream = "localhost:8083"

// devUpstreamYAML is the upstream's configuration: a throwaway store of
// its own beside the main one, its demo user, and the main server as a
// client whose redirect URI is the main server's connector callback.
const devUpstreamYAML = `
issuer: http://localhost:8083
listen: localhost:8083
storage: sqlite://upstream.db
key_encryption_key: ${DEV_KEK}
allow_insecure_localhost: true
clients:
  - client_id: portcullis-dev
    client_name: Portcullis demo
    client_secret: ${DEV_UPSTREAM_SECRET}
    grant_types: [authorization_code]
    redirect_uris: [http://127.0.0.1:8080/login/callback]
    scopes: [openid, profile, email]
    skip_consent: true
users:
  - username: upstream-demo
    password: ${DEV_UPSTREAM_PASSWORD}
    claims: {name: Upstream Demo, email: upstream-demo@example.com, email_verified: true}
`

// devUpstreamConfig parses the upstream's configuration, in dir with vars
// (DEV_KEK, DEV_UPSTREAM_SECRET, DEV_UPSTREAM_PASSWORD), at the stack's
// addresses.
func devUpstreamConfig(stack devStack, dir string, vars map[string]string) (*config.Config, error) {
	cfg, err := config.Parse([]byte(stack.url(devUpstreamYAML)), dir, func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	})
	if err != nil {
		return nil, fmt.Errorf("the upstream identity provider: %w", err)
	}
	cfg.Listen = stack.bind(devUpstream)
	return cfg, nil
}

// serveUpstream runs the upstream with serve, as any server runs, until
// ctx ends; its failure ends ctx's stack through fail.
func serveUpstream(ctx context.Context, cfg *config.Config, log *slog.Logger, fail context.CancelCauseFunc) error {
	err := serve(ctx, cfg, log.With("server", "upstream identity provider"), nil)
	if err != nil {
		err = fmt.Errorf("the upstream identity provider: %w", err)
		fail(err)
	}
	return err
}
