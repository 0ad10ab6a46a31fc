package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/agent"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/gateway"
	"github.com/portcullis/portcullis/internal/buildinfo"
	"github.com/portcullis/portcullis/internal/connlimit"
	"github.com/portcullis/portcullis/internal/health"
	"github.com/portcullis/portcullis/internal/tlsreload"
	"github.com/portcullis/portcullis/keys"
	"github.com/portcullis/portcullis/metrics"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/sqlite"
	"github.com/portcullis/portcullis/usage"
	"github.com/portcullis/portcullis/users"
)

const (
	// keyReloadInterval is how often a server picks up keys rotated by the
	// CLI or another instance. Rotation activates new keys later than this.
	keyReloadInterval = 30 * time.Second
	// gcInterval is how often expired records, and audit events and
	// usage counts past their retention, go.
	gcInterval = 5 * time.Minute
	// shutdownGrace is how long the example servers of portcullis dev
	// give requests in flight to finish.
	shutdownGrace = config.DefaultShutdownGrace
)

// errTerminated ends serve's context when the process gets SIGTERM, the
// signal of process managers and orchestrators, whose load balancers
// are told to stop sending (shutdown_delay) before the listeners close.
// Any other stop (SIGINT from a person) closes them at once.
var errTerminated = errors.New("SIGTERM received")

// stopContext is a context that ends at the first SIGINT or SIGTERM, with
// errTerminated as its cause for SIGTERM. Signals are let through again
// then, so a second one ends the process at once.
func stopContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		defer signal.Stop(sigs)
		select {
		case sig := <-sigs:
			if sig == syscall.SIGTERM {
				cancel(errTerminated)
			} else {
				cancel(fmt.Errorf("%v received", sig))
			}
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(nil) }
}

func serveCmd() *cobra.Command {
	var path string
	var dev bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the authorization server",
		Long: "Run the authorization server from a configuration file (--config FILE), or with\n" +
			"--dev the whole demo stack, as portcullis dev does.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dev && path != "" {
				return errors.New("serve takes --config FILE or --dev, not both")
			}
			ctx, stop := stopContext(cmd.Context())
			defer stop()
			paceGC()
			if dev {
				return runDev(ctx, cmd, devOptions{})
			}
			cfg, err := loadConfig(path)
			if err != nil {
				return err
			}
			log, err := newLogger(cmd, cfg.LogLevel, cfg.LogFormat, config.LogJSON, os.Stderr)
			if err != nil {
				return err
			}
			return serve(ctx, cfg, log, nil)
		},
	}
	configFlag(cmd, &path)
	cmd.Flags().BoolVar(&dev, "dev", false, "run the demo stack on loopback with a throwaway store (as portcullis dev)")
	return cmd
}

// serve runs the server until stop is done, then shuts down: after
// SIGTERM (stopContext) /readyz fails for shutdown_delay while requests
// are still served; then the listeners close, requests in flight get
// shutdown_grace, and connections still open are cut. ready, if set, is
// called with the listening address.
func serve(stop context.Context, cfg *config.Config, log *slog.Logger, ready func(net.Addr)) error {
	// Background work and the parts' contexts outlive the stop signal,
	// until the requests they serve are done.
	ctx, end := context.WithCancel(context.WithoutCancel(stop))
	defer end()
	if backend, path, _ := cfg.Store(); backend == config.SQLite {
		if err := sqlite.CheckFileModes(path); err != nil {
			return err
		}
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := reportKeysAtRest(ctx, cfg, st, log); err != nil {
		return err
	}
	for _, w := range cfg.ConnectorWarnings() {
		log.Warn(w)
	}
	// Every key is read through the key-encryption keys: one that cannot
	// be decrypted stops the start here, naming its kid.
	ks := keys.Sealed(st, cfg.KeyRing())
	if err := keys.Ensure(ctx, ks, cfg.Algorithms(), cfg.KeyRetention(), time.Now()); err != nil {
		return err
	}
	if err := users.Sync(ctx, st, cfg.ConfiguredUsers(), time.Now()); err != nil {
		return err
	}
	km, err := keys.NewManager(ctx, ks, cfg.KeyRetention(), nil)
	if err != nil {
		return err
	}
	m := metrics.New(poolStats(st))
	rec := audit.New(st, log, audit.Options{Dropped: m.AuditDropped})
	defer rec.Close() // before the store closes: stores what is buffered, within a deadline
	counter := usage.NewCounter(st, log, usage.CounterOptions{Dropped: m.UsageDropped})
	defer counter.Close() // after the servers stop, before the store closes: stores what is counted
	// Every part that sees traffic reports it to one Sink: the usage
	// counters, the metrics and, once started, the anomaly detectors.
	sink := usage.Fanout{counter, m}
	ascfg := cfg.AuthServer()
	ascfg.Observer, ascfg.Auditor = m, rec
	var limiter usage.Limiter // nil: each part's memory
	if ascfg.Secret, err = keys.Secret(ctx, st); err != nil {
		return err
	}
	shared, rs, err := withRedis(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	if rs != nil {
		defer rs.Close()
		ascfg.Throttle = rs.Throttle(5, 15*time.Minute, 15*time.Minute)
		ascfg.AddressThrottle = rs.Throttle(50, 15*time.Minute, 15*time.Minute)
		ascfg.RedisHealthy = rs.Healthy
		limiter = rs.Limiter()
		ascfg.Limiter = limiter
	}
	// Suspensions are enforced whether or not anomaly detection runs: an
	// operator may suspend a client too.
	susp := usage.NewSuspensions(shared, nil)
	if err := susp.Load(ctx); err != nil {
		return err
	}
	go susp.Run(ctx, usage.SuspensionPoll, log)
	ascfg.Suspensions = susp
	detector, err := startDetector(cfg, m, rec, shared, susp, log)
	if err != nil {
		return err
	}
	if detector != nil {
		// Closed before the recorder, which stores what it audits.
		defer detector.Close()
		ascfg.Auditor = detector.Auditing(rec)
		sink = append(sink, detector)
	}
	ascfg.Usage = sink
	if ascfg.Clients, err = consoleClients(cfg, ascfg.Clients, ascfg.Secret); err != nil {
		return err
	}
	if err := checkAgentClient(ctx, cfg, ascfg.Clients, st); err != nil {
		return err
	}
	srv, err := authserver.New(ascfg, m.Store(shared), km, log)
	if err != nil {
		return err
	}
	// The operations listener answers first; /readyz waits for the rest.
	srv.Starting()
	// The stored APIs, before the first request; then kept current.
	if err := srv.ReloadAPIs(ctx); err != nil {
		return err
	}
	watchAPIs(ctx, srv, rs)
	go km.Run(ctx, keyReloadInterval, log)
	go collectGarbage(ctx, st, log, retention{audit: cfg.AuditRetention, usage: cfg.UsageRetention})
	g := &servers{log: log, limits: cfg.Limits, errc: make(chan error, 4)}
	var checks []*health.Handler // the gateway's and the agent's, drained with the server
	// Metrics are served only on the operations listener, never beside
	// the public endpoints: they describe the clients and the traffic.
	if cfg.OpsListen != "" {
		ops := http.NewServeMux()
		ops.Handle("GET /metrics", m.Handler())
		ops.Handle("/", srv.Health())
		oaddr, err := g.start("operations", cfg.OpsListen, ops, true, tlsreload.Files{})
		if err != nil {
			return err
		}
		log.Info("operations listening", "addr", oaddr.String(), "paths", "/metrics /healthz /readyz")
	} else {
		log.Info("no operations listener (ops_listen is not set): metrics are not served")
	}
	// A change through the management API reaches this instance at once,
	// and the others through a Redis notice or their next poll. Its store
	// is the server's, so revocations it makes are announced to guards.
	main, closeAdmin, err := withAdmin(ctx, cfg, builtinClients(cfg, ascfg.Secret), m.Store(shared), ks, srv.Handler(), srv.Wrap, apisChanged(srv, rs, log), limiter, sink, rs, log)
	if err != nil {
		g.close()
		return err
	}
	defer closeAdmin()
	if main, err = withConsole(cfg, ascfg.Secret, main, srv.Wrap, ascfg.TrustedProxies, log); err != nil {
		g.close()
		return err
	}
	addr, err := g.start("authorization server", cfg.Listen, main, true, cfg.TLS)
	if err != nil {
		g.close()
		return err
	}
	log.Info("portcullis listening", "addr", addr.String(), "issuer", cfg.Issuer, "version", buildinfo.Version(), "commit", buildinfo.Commit())
	if ready != nil {
		ready(addr)
	}
	if cfg.Gateway != nil {
		// The gateway reads discovery and keys from the issuer, which may be
		// the server just started, or one not up yet: it retries then.
		gwcfg := *cfg.Gateway
		gwcfg.Limiter, gwcfg.Usage = limiter, sink
		if rs != nil {
			// Every instance of the gateway sees every proof's jti; an
			// API behind it that checks the proofs again uses a
			// namespace of its own.
			gwcfg.DPoPReplay = rs.DPoPReplay("gateway")
		}
		gw, err := gateway.New(ctx, gwcfg, log)
		if err != nil {
			g.close()
			return fmt.Errorf("gateway: %w", err)
		}
		defer gw.Close()
		if rs != nil {
			go rs.SubscribeRevocations(ctx, gw.RefreshRevocations)
		}
		// The gateway streams bodies both ways (server-sent events, large
		// downloads): no write deadline there.
		checks = append(checks, health.Mount(gw, gw.Ready))
		gaddr, err := g.start("gateway", cfg.Gateway.Listen, checks[len(checks)-1], false, cfg.Gateway.TLS)
		if err != nil {
			g.close()
			return err
		}
		log.Info("gateway listening", "addr", gaddr.String(), "audience", cfg.Gateway.Audience)
	}
	if cfg.OAuthAgent != nil {
		// The agent reads the provider's discovery document at start, and
		// again in the background until it can.
		agcfg := *cfg.OAuthAgent
		agcfg.Limiter, agcfg.Usage = limiter, sink
		ag, err := agent.New(ctx, agcfg, log)
		if err != nil {
			g.close()
			return fmt.Errorf("oauth agent: %w", err)
		}
		checks = append(checks, health.Mount(ag, ag.Ready))
		aaddr, err := g.start("oauth agent", cfg.OAuthAgent.Listen, checks[len(checks)-1], true, cfg.OAuthAgent.TLS)
		if err != nil {
			g.close()
			return err
		}
		log.Info("oauth agent listening", "addr", aaddr.String(), "issuer", cfg.OAuthAgent.Issuer)
	}
	srv.Started()
	select {
	case err := <-g.errc:
		g.close()
		return err
	case <-stop.Done():
	}
	if errors.Is(context.Cause(stop), errTerminated) {
		srv.Drain()
		for _, h := range checks {
			h.Drain()
		}
		log.Info("shutting down: /readyz answers 503 while requests are still served", "shutdown_delay", cfg.ShutdownDelay.String())
		time.Sleep(cfg.ShutdownDelay)
	}
	log.Info("shutting down: closing the listeners, draining requests", "shutdown_grace", cfg.ShutdownGrace.String())
	if cut := g.shutdown(cfg.ShutdownGrace); cut > 0 {
		log.Warn(fmt.Sprintf("shutdown_grace ended: cut %d connections", cut), "cut", cut)
	}
	log.Info("shut down")
	return nil
}

// startDetector starts the anomaly detectors of cfg, with the alert
// webhook if one is configured, or returns nil if anomalies are disabled.
// The detector watches the audit events it is given through Auditing; it
// is also the usage.Sink for the gateway's and the token endpoint's
// events, which joins the usage counters in the usage.Fanout those parts
// report to. Closing it closes the webhook.
func startDetector(cfg *config.Config, m *metrics.Metrics, rec usage.Auditor, st store.Store, susp *usage.Suspensions, log *slog.Logger) (*usage.Detector, error) {
	if cfg.Anomalies.Disabled {
		return nil, nil
	}
	obs := m.Anomalies()
	var alerts *usage.Webhook
	if cfg.Alerts.Webhook != nil {
		alerts = usage.NewWebhook(*cfg.Alerts.Webhook, usage.WebhookOptions{Observer: obs, Log: log})
	}
	d, err := usage.NewDetector(cfg.Anomalies, usage.Options{Auditor: rec, Observer: obs, Alerts: alerts,
		Revoker: st, Suspensions: susp, TokenTTL: cfg.AccessTokenTTL, Log: log})
	if err != nil {
		if alerts != nil {
			alerts.Close()
		}
		return nil, err
	}
	return d, nil
}

// reportKeysAtRest warns, once at start, when signing keys are kept in
// plaintext: with no key_encryption_key at all, or with keys stored before
// one was configured, which keys rewrap encrypts.
func reportKeysAtRest(ctx context.Context, cfg *config.Config, st store.Store, log *slog.Logger) error {
	if cfg.KeyRing().Current == nil {
		log.Warn("no key_encryption_key configured: signing keys are stored in plaintext (/readyz reports keys_at_rest: plaintext)")
		return nil
	}
	plain, err := keys.Plaintext(ctx, st)
	if err != nil {
		return err
	}
	if len(plain) > 0 {
		log.Warn("signing keys stored before key_encryption_key was set are still in plaintext: run portcullis keys rewrap", "kids", plain)
	}
	return nil
}

// servers are the HTTP servers of one process, stopped together.
type servers struct {
	log    *slog.Logger
	limits connlimit.Limits
	errc   chan error
	all    []*http.Server
	lns    []*connlimit.Listener
}

// start listens on addr and serves h until shutdown, holding at most
// g.limits connections open. bounded sets a write deadline on every
// response, for handlers that never stream. With tlsFiles set it serves
// HTTPS (listenerTLS).
func (g *servers) start(name, addr string, h http.Handler, bounded bool, tlsFiles tlsreload.Files) (net.Addr, error) {
	tc, err := listenerTLS(name, tlsFiles, g.log)
	if err != nil {
		return nil, err
	}
	raw, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: listen: %w", name, err)
	}
	ln := connlimit.Wrap(raw, g.limits)
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ConnState:         ln.ConnState,
		TLSConfig:         tc,
		ErrorLog:          slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
	}
	if bounded {
		hs.WriteTimeout = 30 * time.Second
	}
	g.all, g.lns = append(g.all, hs), append(g.lns, ln)
	go func() {
		if err := serveOn(hs, ln); !errors.Is(err, http.ErrServerClosed) {
			g.errc <- fmt.Errorf("%s: %w", name, err)
		}
	}()
	return ln.Addr(), nil
}

// shutdown closes the listeners and idle connections, waits up to grace
// for requests in flight, then cuts the connections still open and says
// how many it cut.
func (g *servers) shutdown(grace time.Duration) int {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	var wg sync.WaitGroup
	for _, hs := range g.all {
		wg.Go(func() { hs.Shutdown(ctx) })
	}
	wg.Wait()
	cut := 0
	for _, ln := range g.lns {
		cut += ln.Stats().Open
	}
	g.close()
	return cut
}

// close closes every listener and connection at once.
func (g *servers) close() {
	for _, hs := range g.all {
		hs.Close()
	}
}

// poolStats reads the store's connection pool, for the metrics.
func poolStats(st store.Store) func() metrics.PoolStats {
	s, ok := st.(interface{ Stats() (inUse, idle, max int) })
	if !ok {
		return nil
	}
	return func() metrics.PoolStats {
		in, idle, max := s.Stats()
		return metrics.PoolStats{InUse: in, Idle: idle, Max: max}
	}
}

// retention is how long records are kept: audit events, usage counts.
type retention struct{ audit, usage time.Duration }

// collectGarbage runs sweep every gcInterval.
func collectGarbage(ctx context.Context, st store.Store, log *slog.Logger, keep retention) {
	t := time.NewTicker(gcInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			sweep(ctx, st, log, time.Now(), keep)
		}
	}
}

// sweep deletes what expired at now, and the audit events and usage
// counts older than their retention.
func sweep(ctx context.Context, st store.Store, log *slog.Logger, now time.Time, keep retention) {
	if err := st.DeleteExpired(ctx, now); err != nil && ctx.Err() == nil {
		log.Error("delete expired records", "err", err)
	}
	if n, err := st.DeleteAuditBefore(ctx, now.Add(-keep.audit)); err != nil && ctx.Err() == nil {
		log.Error("delete audit events past retention", "err", err)
	} else if n > 0 {
		log.Info("audit events past retention deleted", "count", n, "retention", keep.audit.String())
	}
	if n, err := st.DeleteUsageBefore(ctx, now.Add(-keep.usage)); err != nil && ctx.Err() == nil {
		log.Error("delete usage counts past retention", "err", err)
	} else if n > 0 {
		log.Info("usage counts past retention deleted", "rows", n, "retention", keep.usage.String())
	}
}
