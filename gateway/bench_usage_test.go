package gateway_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/gateway"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// BenchmarkBearerRouteUsage is BenchmarkBearerRoute (a token the guard has
// seen, forwarded to an upstream on loopback) without usage counting and
// with it, in the same run: each request is then one usage.APICall event
// counted by a usage.Counter, as serve wires it. The loopback round trip
// dominates; BenchmarkRouteUsageNoUpstream measures the difference
// without it.
func BenchmarkBearerRouteUsage(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(onOff(on), func(b *testing.B) {
			issuer := authservertest.New(b)
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("[]")) }))
			b.Cleanup(up.Close)
			cfg := gateway.Config{
				Listen: "127.0.0.1:0", Issuer: issuer.URL, Audience: authservertest.API,
				Routes: []gateway.Route{{Path: "/users", Upstream: up.URL, Scopes: []string{"list:users"}}},
			}
			if on {
				cfg.Usage = benchCounter(b)
			}
			gw, err := gateway.New(b.Context(), cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(gw.Close)
			req := httptest.NewRequest(http.MethodGet, "/users", nil)
			req.Header.Set("Authorization", "Bearer "+issuer.Token(b, "list:users"))
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				gw.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// benchCounter is a usage.Counter whose flushes, an hour apart, do not
// happen within a run; its rows go nowhere.
func benchCounter(b *testing.B) *usage.Counter {
	c := usage.NewCounter(discard{}, slog.New(slog.DiscardHandler), usage.CounterOptions{Interval: time.Hour})
	b.Cleanup(c.Close)
	return c
}

type discard struct{}

func (discard) AddUsage(context.Context, string, []store.UsageCount) error { return nil }
