package gateway

import (
	"context"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/portcullis/portcullis/agent"
	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/usage"
)

// defaultUpstreamTimeout is Config.UpstreamTimeout's zero value.
const defaultUpstreamTimeout = 30 * time.Second

// Gateway is the authenticating reverse proxy, an http.Handler. Each
// request is routed by path and method, authenticated and scope-checked
// by the guard (RFC 6750 and RFC 9449 answers, in the route's DPoP mode),
// and forwarded to the route's upstream.
type Gateway struct {
	guard   *guard.Guard
	routes  table
	cookies *agent.CookieReader // nil without Config.Cookies
	usage   *usageReporter      // nil without Config.Usage
}

// New validates cfg and builds the gateway. Like guard.New it reads the
// issuer's discovery document, keys and revocation list within ctx; when
// the issuer cannot be read it returns the gateway anyway, its guard
// retrying in the background (guard.Options.RetryStart), and until then
// every routed request is answered 503 with Retry-After and Ready says
// why: the gateway starts in any order with its issuer. log receives
// upstream failures and the guard's issuer failures; nil means
// slog.Default(). Close releases the guard's background work.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Gateway, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	var cookies *agent.CookieReader
	if cfg.Cookies != nil {
		var err error
		if cookies, err = agent.NewCookieReader(*cfg.Cookies); err != nil {
			return nil, err
		}
	}
	var nonces *dpop.Nonces
	if cfg.DPoPNonceKey != "" {
		// Validate has checked the key.
		key, _ := hex.DecodeString(cfg.DPoPNonceKey)
		var err error
		if nonces, err = dpop.NewNonces(key, 0); err != nil {
			return nil, err
		}
	}
	opts := guard.Options{
		Issuer:     cfg.Issuer,
		Audience:   cfg.Audience,
		Algorithms: cfg.Algorithms,
		Leeway:     cfg.Leeway,
		Logger:     log,
		RetryStart: true,
		// Each route picks its mode; the guard holds what they share.
		DPoP: guard.DPoP{PublicURL: cfg.PublicURL, Replay: cfg.DPoPReplay, Nonces: nonces},
	}
	var reporter *usageReporter
	if cfg.Usage != nil {
		reporter = &usageReporter{sink: cfg.Usage, api: cfg.Audience, trusted: cfg.TrustedProxies}
		opts.Observe = reporter.observe
	}
	g, err := guard.New(ctx, opts)
	if err != nil {
		return nil, err
	}
	if cfg.PublicURL == "" {
		log.Info("gateway: no public_url, so DPoP proofs cannot be checked: tokens bound to a key are refused on every route")
	}
	timeout := cfg.UpstreamTimeout
	if timeout == 0 {
		timeout = defaultUpstreamTimeout
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = timeout
	// The default keeps two idle connections per upstream: under more
	// concurrent requests than that, every extra one dialled a new
	// connection and closed it after one request, a third of the gateway's
	// time. Keep as many as requests in flight, up to the default's total.
	transport.MaxIdleConnsPerHost = transport.MaxIdleConns
	ids := cfg.IdentityHeaders.resolve()
	var public *url.URL
	if cfg.PublicURL != "" {
		// Validate has checked the URL.
		public, _ = url.Parse(cfg.PublicURL)
	}
	limits := limiter{gate: usage.NewGate(cfg.Limiter, cfg.Usage, nil), trusted: cfg.TrustedProxies}
	routes := make([]*route, len(cfg.Routes))
	for i, r := range cfg.Routes {
		// Validate has checked the URL.
		upstream, _ := url.Parse(r.Upstream)
		proxy := newProxy(upstream, public, transport, ids, log)
		if nonces != nil {
			// The gateway's guard asks for its own nonce on every answer;
			// an upstream's would make two, and a proof carries one.
			proxy.ModifyResponse = dropUpstreamNonce
		}
		// A call is reported let through only once the caller's limit
		// lets it through too.
		h := chain(g, cfg.dpopMode(r), r, limits.perCaller(i, r.Path, r.RateLimit, reporter.admitted(proxy)))
		var cors func(http.ResponseWriter, *http.Request)
		if r.Cookies {
			proxy.ModifyResponse = both(proxy.ModifyResponse, stripCORS)
			h = cookieAuth(cookies, public, nonces, reporter, h)
			cors = func(w http.ResponseWriter, r *http.Request) { cookies.CORS(w, r) }
		}
		h = limits.perAddress(i, r.Path, r.RateLimitPerAddress, cors, h)
		routes[i] = &route{path: r.Path, methods: r.Methods, handler: h, cookies: r.Cookies}
	}
	return &Gateway{guard: g, routes: newTable(routes), cookies: cookies, usage: reporter}, nil
}

// chain is route r's handler in front of next: the guard in mode, the
// check of scopes and, when r requires a step-up, of the user's sign-in.
func chain(g *guard.Guard, mode guard.DPoPMode, r Route, next http.Handler) http.Handler {
	if len(r.ACRValues) > 0 || r.MaxAge > 0 {
		next = g.RequireAuthentication(guard.StepUp{ACR: r.ACRValues, MaxAge: r.MaxAge})(next)
	}
	return g.MiddlewareWith(mode)(g.RequireScopes(r.Scopes...)(next))
}

// ServeHTTP routes, authenticates and forwards the request. A path not in
// its one canonical spelling (see checkPath) is refused with 400, a path no
// route matches gets 404, and a method no matching route admits gets 405
// with Allow, all with JSON bodies; the path is checked before routing and
// routing happens before authentication. A CORS preflight for a route with
// Cookies is answered by the gateway itself. The route's path names it in
// the request's Pattern, as a ServeMux names its pattern, for the usage
// events.
func (gw *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, err := requestPath(r.URL)
	if err != nil {
		reply(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if gw.preflight(w, r, p) {
		return
	}
	rt, allow := gw.routes.lookup(p, r.Method)
	switch {
	case rt != nil:
		r.Pattern = rt.path
		rt.handler.ServeHTTP(w, r)
	case len(allow) > 0:
		for _, m := range allow {
			w.Header().Add("Allow", m)
		}
		reply(w, http.StatusMethodNotAllowed, "method_not_allowed", "no route for this method on this path")
	default:
		reply(w, http.StatusNotFound, "not_found", "no route for this path")
	}
}

// Ready returns nil once the gateway's guard has read its issuer, and
// until then an error wrapping guard.ErrNotReady, for a readiness check.
func (gw *Gateway) Ready() error { return gw.guard.Ready() }

// Close stops the guard's background refreshes.
func (gw *Gateway) Close() { gw.guard.Close() }
