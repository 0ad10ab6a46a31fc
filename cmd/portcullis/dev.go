package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/examples/spa"
	"github.com/portcullis/portcullis/examples/usersapi/api"
	"github.com/portcullis/portcullis/guard"
)

// The demo stack's loopback addresses.
const (
	devIssuer = "http://127.0.0.1:8080"
	devAgent  = "127.0.0.1:8081"
	devGate   = "127.0.0.1:8082"
	devAPI    = "127.0.0.1:9000"
	devApp    = "127.0.0.1:3000"
	devOps    = "127.0.0.1:9090"
)

func devCmd() *cobra.Command {
	var opts devOptions
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the whole demo stack on loopback: server, OAuth Agent, gateway, example API and app, upstream IdP",
		Long: "Run, on 127.0.0.1 with a throwaway SQLite store: the authorization server (:8080) with a\n" +
			"demo user, the OAuth Agent (:8081), the gateway (:8082), the example users API (:9000),\n" +
			"the example single-page app (:3000), the operations listener with /metrics (:9090) and a\n" +
			"second authorization server (localhost:8083) that the first offers as an upstream identity\n" +
			"provider on its sign-in page. Open the printed URL and sign in.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			paceGC()
			return runDev(ctx, cmd, opts)
		},
	}
	devFlags(cmd, &opts)
	return cmd
}

// runDev runs the demo stack until ctx ends.
func runDev(ctx context.Context, cmd *cobra.Command, opts devOptions) error {
	log, err := newLogger(cmd, "", "", config.LogText, os.Stderr)
	if err != nil {
		return err
	}
	stack, err := opts.stack()
	if err != nil {
		return err
	}
	if err := stack.free(); err != nil {
		return err
	}
	cfg, upstream, cleanup, err := devConfig(cmd.OutOrStdout(), stack)
	if err != nil {
		return err
	}
	defer cleanup()
	// The upstream identity provider runs beside the main server; the
	// main one reads its discovery at the first "Continue with".
	ctx, fail := context.WithCancelCause(ctx)
	defer fail(nil)
	upErr := make(chan error, 1)
	go func() { upErr <- serveUpstream(ctx, upstream, log, fail) }()
	// The example API and app are not parts of Portcullis; they start once
	// the issuer listens, since the API's guard reads its discovery.
	err = serve(ctx, cfg, log, func(net.Addr) {
		// The API sits behind the gateway, so the proofs it checks name
		// the gateway's URL.
		g, err := guard.New(ctx, guard.Options{Issuer: stack.url(devIssuer), Audience: "https://api.example.com", Logger: log,
			DPoP: guard.DPoP{Mode: guard.DPoPAllowed, PublicURL: stack.url("http://" + devGate)}})
		if err != nil {
			log.Error("example API", "err", err)
			return
		}
		go serveUntil(ctx, log, "example users API", stack.bind(devAPI), api.Handler(g, api.SampleUsers), g.Close)
		app := spa.Handler(spa.Config{AgentURL: stack.url("http://" + devAgent + "/oauth-agent"), APIURL: stack.url("http://" + devGate)})
		go serveUntil(ctx, log, "example app", stack.bind(devApp), withDevCallback(app), nil)
	})
	fail(nil)
	if uerr := <-upErr; err == nil {
		err = uerr
	}
	return err
}

// serveUntil serves h on addr until ctx ends, then runs done.
func serveUntil(ctx context.Context, log *slog.Logger, name, addr string, h http.Handler, done func()) {
	if done != nil {
		defer done()
	}
	hs := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Error(name, "err", err)
	}
}

// devConfig is the demo stack's configuration: a throwaway store, a demo
// API, a service client, a DPoP-bound service client, a web client, the
// agent's client, a demo user and the connector of the upstream identity
// provider, whose configuration (devUpstreamConfig) it returns beside,
// with generated secrets printed once, and
// a generated key-encryption key that is never printed, since the store
// goes with it (only --write-config's private file holds it). It goes through the same parser as any file.
func devConfig(out io.Writer, stack devStack) (*config.Config, *config.Config, func(), error) {
	dir, err := os.MkdirTemp("", "portcullis-dev-")
	if err != nil {
		return nil, nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	secret, _ := authserver.NewSecret()
	webSecret, _ := authserver.NewSecret()
	agentSecret, _ := authserver.NewSecret()
	dpopSecret, _ := authserver.NewSecret()
	adminSecret, _ := authserver.NewSecret()
	key, kek := make([]byte, 32), make([]byte, 32)
	rand.Read(key)
	rand.Read(kek)
	password, viewerPassword, upstreamPassword := newPassword(), newPassword(), newPassword()
	upstreamSecret, _ := authserver.NewSecret()
	vars := map[string]string{"DEV_UPSTREAM_SECRET": upstreamSecret, "DEV_UPSTREAM_PASSWORD": upstreamPassword, "DEV_VIEWER_PASSWORD": viewerPassword, "DEV_SECRET": secret, "DEV_WEB_SECRET": webSecret, "DEV_AGENT_SECRET": agentSecret, "DEV_DPOP_SECRET": dpopSecret, "DEV_ADMIN_SECRET": adminSecret,
		"DEV_COOKIE_KEY": hex.EncodeToString(key), "DEV_KEK": hex.EncodeToString(kek), "DEV_PASSWORD": password}
	doc := stack.url(devYAML)
	cfg, err := config.Parse([]byte(doc), dir, func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	})
	if err == nil {
		err = stack.apply(cfg, doc, dir, vars)
	}
	var upstream *config.Config
	if err == nil {
		upstream, err = devUpstreamConfig(stack, dir, vars)
	}
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	out = urlWriter{out, stack}
	fmt.Fprintf(out, `Portcullis demo stack (throwaway store in %[1]s)

  Open http://%[2]s/ and sign in as demo, password %[3]s

  Admin console         %[4]s/console/
    demo is an administrator (roles: [admin]); viewer, password %[13]s,
    sees the console but changes nothing (roles: [viewer])

  authorization server  %[4]s
  OAuth Agent           http://%[5]s/oauth-agent
  gateway               http://%[6]s  (GET /users, DELETE /users/{id} -> example API, with the agent's cookie)
  example users API     http://%[7]s
  metrics               http://%[8]s/metrics
  upstream IdP          http://%[15]s  (a second Portcullis: "Continue with Upstream IdP (demo)"
    on the sign-in page; sign in there as upstream-demo, password %[14]s)

  service client  demo-client, secret %[9]s
  DPoP client     demo-dpop, secret %[10]s  (every token request needs a DPoP proof)
  web client      demo-web, secret %[11]s, redirect URI http://127.0.0.1:3000/callback (a page showing the code)
  admin client    demo-admin, secret %[12]s  (every admin:* scope of the management API)

Paste these into the shell where you follow the README's walk-throughs:
  export DEMO_PASSWORD=%[3]s
  export DEMO_CLIENT_SECRET=%[9]s
  export DEMO_DPOP_SECRET=%[10]s
  export DEMO_WEB_SECRET=%[11]s
  export DEMO_ADMIN_SECRET=%[12]s

Call the management API (%[4]s/admin/v1/, described by %[4]s/admin/v1/openapi.json):
  TOKEN=$(curl -s -u demo-admin:%[12]s -d grant_type=client_credentials %[4]s/token | jq -r .access_token)
  curl -s -H "Authorization: Bearer $TOKEN" %[4]s/admin/v1/clients

Get a token for the API:
  curl -s -u demo-client:%[9]s -d grant_type=client_credentials %[4]s/token

Get a DPoP-bound token (RFC 9449; "portcullis" is "go run ./cmd/portcullis" if not installed):
  curl -s -u demo-dpop:%[10]s -d grant_type=client_credentials \
    -H "DPoP: $(portcullis dpop proof --key dpop.pem --method POST --url %[4]s/token)" %[4]s/token
  The answer's token_type is DPoP, and introspection (-d token=...) shows cnf.jkt, the
  thumbprint the command printed for dpop.pem. Call the API through the gateway with it,
  a new proof for each call, and the token alone is refused:
  TOKEN=<access_token from the answer>
  curl -s -H "Authorization: DPoP $TOKEN" http://%[6]s/users \
    -H "DPoP: $(portcullis dpop proof --key dpop.pem --method GET --url http://%[6]s/users --token $TOKEN)"
  Go clients: package dpop, dpop/example_test.go.

`, dir, devApp, password, devIssuer, devAgent, devGate, devAPI, devOps, secret, dpopSecret, webSecret, adminSecret, viewerPassword, upstreamPassword, devUpstream)
	return cfg, upstream, cleanup, nil
}

const devYAML = `
issuer: http://127.0.0.1:8080
listen: 127.0.0.1:8080
ops_listen: 127.0.0.1:9090
storage: sqlite://portcullis.db
key_encryption_key: ${DEV_KEK}
# Development on loopback: the example app's redirect URIs are plain http,
# and a client's jwks_uri may be a key server on this machine.
allow_insecure_localhost: true
allow_private_jwks_uri: true
apis:
  - identifier: https://api.example.com
    name: Users API
    scopes: [list:users, read:users, write:users]
clients:
  - client_id: demo-client
    client_secret: ${DEV_SECRET}
    grant_types: [client_credentials]
    scopes: [list:users, read:users, write:users]
  - client_id: demo-dpop
    client_secret: ${DEV_DPOP_SECRET}
    grant_types: [client_credentials]
    scopes: [list:users, read:users]
    dpop_bound_access_tokens: true
  - client_id: demo-admin
    client_name: Demo administrator
    client_secret: ${DEV_ADMIN_SECRET}
    grant_types: [client_credentials]
    scopes: [admin:clients:read, admin:clients:write, admin:apis:read, admin:apis:write, admin:users:read, admin:users:write,
      admin:grants:read, admin:grants:write, admin:keys:read, admin:keys:write, admin:audit:read, admin:usage:read]
  - client_id: demo-web
    client_name: Demo web app
    client_secret: ${DEV_WEB_SECRET}
    grant_types: [authorization_code, refresh_token]
    redirect_uris: [http://127.0.0.1:3000/callback]
    post_logout_redirect_uris: [http://127.0.0.1:3000/]
    scopes: [openid, profile, email, offline_access, list:users, read:users]
  - client_id: spa-agent
    client_name: Example app
    client_secret: ${DEV_AGENT_SECRET}
    grant_types: [authorization_code, refresh_token]
    redirect_uris: [http://127.0.0.1:3000/]
    post_logout_redirect_uris: [http://127.0.0.1:3000/]
    scopes: [openid, profile, email, offline_access, list:users, write:users]
    skip_consent: true
# Dynamic client registration at /register, with an admin token
# (admin:clients:write) as the initial access token.
registration:
  enabled: true
users:
  - username: demo
    password: ${DEV_PASSWORD}
    claims: {name: Demo User, given_name: Demo, family_name: User, email: demo@example.com, email_verified: true}
    roles: [admin]
  - username: viewer
    password: ${DEV_VIEWER_PASSWORD}
    claims: {name: Demo Viewer, email: viewer@example.com, email_verified: true}
    roles: [viewer]
# A second identity provider, run by dev beside this one (devupstream.go):
# its sign-in is offered on this one's login page.
connectors:
  - id: upstream
    name: Upstream IdP (demo)
    type: oidc
    oidc:
      issuer: http://localhost:8083
      client_id: portcullis-dev
      client_secret: ${DEV_UPSTREAM_SECRET}
# The admin console at /console/, signing in with the users above.
console:
  enabled: true
gateway:
  listen: 127.0.0.1:8082
  public_url: http://127.0.0.1:8082
  issuer: http://127.0.0.1:8080
  audience: https://api.example.com
  routes:
    - path: /users
      methods: [GET]
      upstream: http://127.0.0.1:9000
      scopes: [list:users]
      cookies: true
    # Deleting a user takes a second factor proved in the last five
    # minutes (RFC 9470); the example API requires the same itself.
    - path: /users
      methods: [DELETE]
      upstream: http://127.0.0.1:9000
      scopes: [write:users]
      acr_values: [mfa, phr]
      max_age: 5m
      cookies: true
oauth_agent:
  listen: 127.0.0.1:8081
  base_path: /oauth-agent
  issuer: http://127.0.0.1:8080
  client_id: spa-agent
  client_secret: ${DEV_AGENT_SECRET}
  redirect_uri: http://127.0.0.1:3000/
  post_logout_redirect_uri: http://127.0.0.1:3000/
  scope: openid profile email offline_access list:users write:users
  trusted_web_origins: [http://127.0.0.1:3000]
  cookie_prefix: pc
  cookie_encryption_key: ${DEV_COOKIE_KEY}
`
