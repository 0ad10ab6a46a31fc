package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// BenchmarkRouteUsageNoUpstream is the gateway's cached-token path without
// the proxy: the path check, routing, the guard (a token it has seen) and
// the scope check, with an empty handler where the proxy was, without
// usage counting and with it (one usage.APICall event into a
// usage.Counter). Its on minus off is what counting costs a request.
func BenchmarkRouteUsageNoUpstream(b *testing.B) {
	issuer := authservertest.New(b)
	token := issuer.Token(b, "list:users")
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			cfg := Config{
				Listen: "127.0.0.1:0", Issuer: issuer.URL, Audience: authservertest.API,
				Routes: []Route{{Path: "/users", Upstream: "http://127.0.0.1:1", Scopes: []string{"list:users"}}},
			}
			if on {
				c := usage.NewCounter(discard{}, slog.New(slog.DiscardHandler), usage.CounterOptions{Interval: time.Hour})
				b.Cleanup(c.Close)
				cfg.Usage = c
			}
			gw, err := New(b.Context(), cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(gw.Close)
			// The route's chain as New builds it, the proxy left out.
			gw.routes[0].handler = chain(gw.guard, guard.DPoPOff, Route{Scopes: []string{"list:users"}},
				gw.usage.admitted(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
			req := httptest.NewRequest(http.MethodGet, "/users", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			gw.ServeHTTP(w, req)
			b.ReportAllocs()
			for b.Loop() {
				gw.ServeHTTP(w, req)
			}
			if w.Code != http.StatusOK {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		})
	}
}

type discard struct{}

func (discard) AddUsage(context.Context, string, []store.UsageCount) error { return nil }

// BenchmarkUsageReport is what counting adds to a request let through,
// alone: the reporter's event (the time, the address, the caller's
// identifiers) and its count in a usage.Counter.
func BenchmarkUsageReport(b *testing.B) {
	issuer := authservertest.New(b)
	c := usage.NewCounter(discard{}, slog.New(slog.DiscardHandler), usage.CounterOptions{Interval: time.Hour})
	b.Cleanup(c.Close)
	gw, err := New(b.Context(), Config{
		Listen: "127.0.0.1:0", Issuer: issuer.URL, Audience: authservertest.API, Usage: c,
		Routes: []Route{{Path: "/users", Upstream: "http://127.0.0.1:1"}},
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(gw.Close)
	caller, err := gw.guard.Verify(b.Context(), issuer.Token(b, "list:users"))
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/users", nil)
	req.Pattern = "/users"
	b.ReportAllocs()
	for b.Loop() {
		gw.usage.report(req, caller, guard.OutcomeAllowed)
	}
}
