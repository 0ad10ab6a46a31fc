package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"

	"github.com/portcullis/portcullis/guard"
)

// newProxy forwards to upstream through transport. It sets the identity
// headers from the guard's Caller after removing every client-sent copy,
// adds X-Forwarded-* (replacing any the client sent), and keeps the
// Authorization header so the upstream may check the token itself.
func newProxy(upstream *url.URL, transport http.RoundTripper, ids IdentityHeaders, log *slog.Logger) *httputil.ReverseProxy {
	forged := map[string]bool{fold(ids.Subject): true, fold(ids.ClientID): true, fold(ids.Scope): true}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// SetURL also makes the Host header the upstream's.
			pr.SetURL(upstream)
			pr.SetXForwarded()
			for name := range pr.Out.Header {
				if forged[fold(name)] {
					delete(pr.Out.Header, name)
				}
			}
			caller, ok := guard.CallerFromContext(pr.In.Context())
			if !ok {
				// The guard runs before the proxy; without a caller the
				// request cannot have got here.
				return
			}
			h := pr.Out.Header
			h.Set(ids.Subject, caller.Subject())
			h.Set(ids.ClientID, caller.ClientID())
			h.Set(ids.Scope, strings.Join(caller.Scopes(), " "))
		},
		Transport: transport,
		// Responses of unknown length (chunked, server-sent events) are
		// flushed as they come whatever this says; -1 does the same for
		// known lengths, so a slow upstream is never held back.
		FlushInterval: -1,
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			status, code, desc := http.StatusBadGateway, "bad_gateway", "the upstream did not answer"
			var ne net.Error
			if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
				status, code, desc = http.StatusGatewayTimeout, "gateway_timeout", "the upstream did not answer in time"
			}
			log.Warn("gateway: upstream failed", "upstream", upstream.Redacted(), "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
			reply(w, status, code, desc)
		},
	}
}
