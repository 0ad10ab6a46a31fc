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

	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/guard"
)

// stripped are request headers, folded, that would make an upstream read
// the request differently from how the gateway routed and checked it:
// method overrides, URL overrides (IIS, Symfony, Zend), and client and
// proxy addresses. ReverseProxy itself removes the hop-by-hop headers,
// those named in Connection, Forwarded and X-Forwarded-For, -Host and
// -Proto, but only in their canonical spelling.
var stripped = map[string]bool{
	"x-http-method-override": true,
	"x-method-override":      true,
	"x-http-method":          true,
	"x-original-url":         true,
	"x-rewrite-url":          true,
	"x-real-ip":              true,
	"forwarded":              true,
}

// newProxy forwards to upstream through transport. It removes the headers
// in stripped, every X-Forwarded-* and every client-sent copy of the
// identity headers, under any spelling that folds to theirs; sets the
// identity headers from the guard's Caller; and sets X-Forwarded-For from
// the connection and X-Forwarded-Host and -Proto from public (nil: from
// the request's Host and connection). It keeps the Authorization header
// so the upstream may check the token itself.
func newProxy(upstream, public *url.URL, transport http.RoundTripper, ids IdentityHeaders, log *slog.Logger) *httputil.ReverseProxy {
	forged := map[string]bool{fold(ids.Subject): true, fold(ids.ClientID): true, fold(ids.Scope): true}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// SetURL also makes the Host header the upstream's, and
			// appends the request's EscapedPath, which ServeHTTP checked.
			pr.SetURL(upstream)
			for name := range pr.Out.Header {
				if f := fold(name); forged[f] || stripped[f] || strings.HasPrefix(f, "x-forwarded-") {
					delete(pr.Out.Header, name)
				}
			}
			pr.SetXForwarded()
			if public != nil {
				pr.Out.Header.Set("X-Forwarded-Host", public.Host)
				pr.Out.Header.Set("X-Forwarded-Proto", public.Scheme)
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
		// flushed as they come whatever FlushInterval says. Those of a
		// known length are written as the buffer fills and when they end:
		// flushing after each write (-1) cost a write system call more per
		// response, a fifth of the gateway's time, to hurry bodies smaller
		// than the 4 KiB buffer.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
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

// dropUpstreamNonce removes an upstream's DPoP-Nonce on the routes of a
// gateway that sets its own (RFC 9449 section 9).
func dropUpstreamNonce(resp *http.Response) error {
	resp.Header.Del(dpop.NonceHeader)
	return nil
}

// both runs f, if set, then g, as one ReverseProxy.ModifyResponse.
func both(f, g func(*http.Response) error) func(*http.Response) error {
	if f == nil {
		return g
	}
	return func(resp *http.Response) error {
		if err := f(resp); err != nil {
			return err
		}
		return g(resp)
	}
}
