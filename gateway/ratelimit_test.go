package gateway_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/gateway"
	"github.com/portcullis/portcullis/guard/guardtest"
	"github.com/portcullis/portcullis/redisstate"
	"github.com/portcullis/portcullis/usage"
	"github.com/portcullis/portcullis/usage/usagetest"
)

// counting is an upstream that counts the requests it receives.
func counting(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1) }))
	t.Cleanup(srv.Close)
	return srv, &n
}

// tokenOf mints a token of iss for a caller.
func tokenOf(iss *guardtest.Issuer, clientID, sub string) string {
	c := iss.Claims("list:users")
	c["client_id"], c["sub"] = clientID, sub
	return iss.Sign(nil, c)
}

// checkTooMany checks a refusal: 429 too_many_requests in the gateway's
// JSON, with Retry-After and the RateLimit headers of limit name.
func checkTooMany(t *testing.T, resp *http.Response, body []byte, name string, l usage.Limit) {
	t.Helper()
	var e struct{ Error string }
	json.Unmarshal(body, &e)
	retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusTooManyRequests || e.Error != "too_many_requests" || retry < 1 ||
		resp.Header.Get("RateLimit-Policy") != `"`+name+`";q=`+strconv.Itoa(l.Rate)+`;w=`+strconv.Itoa(int(l.Period.Seconds())) ||
		resp.Header.Get("RateLimit") != `"`+name+`";r=0;t=`+strconv.Itoa(retry) {
		t.Fatalf("refusal: %d %v %s", resp.StatusCode, resp.Header, body)
	}
}

// TestGatewayRateLimitPerCaller: a route's rate_limit counts each caller
// (client and subject) apart, whatever token it presents; a refused
// request does not reach the upstream; another route is not affected.
func TestGatewayRateLimitPerCaller(t *testing.T) {
	iss := newDPoPIssuer(t)
	up, reached := counting(t)
	events := &usagetest.Recorder{Kinds: []usage.Kind{usage.RateLimited}}
	limit := usage.Limit{Rate: 2, Period: time.Hour, Burst: 2}
	gw := start(t, iss.URL, func(c *gateway.Config) { c.Usage = events },
		gateway.Route{Path: "/limited", Upstream: up.URL, Scopes: []string{"list:users"}, RateLimit: limit},
		gateway.Route{Path: "/free", Upstream: up.URL},
	)
	a1, a2 := tokenOf(iss, "app", "alice"), tokenOf(iss, "app", "alice")
	for i, tok := range []string{a1, a2} {
		if resp, body := do(t, "GET", gw.URL+"/limited", tok, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
	}
	resp, body := do(t, "GET", gw.URL+"/limited", a1, nil)
	checkTooMany(t, resp, body, usage.LimitGatewayCaller, limit)
	if n := reached.Load(); n != 2 {
		t.Fatalf("upstream reached %d times, want 2", n)
	}
	for _, tok := range []string{tokenOf(iss, "app", "bob"), tokenOf(iss, "other-app", "alice"), tokenOf(iss, "appa", "lice")} {
		if resp, body := do(t, "GET", gw.URL+"/limited", tok, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("another caller: %d %s", resp.StatusCode, body)
		}
	}
	if resp, _ := do(t, "GET", gw.URL+"/free", a1, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("a route without a limit: %d", resp.StatusCode)
	}
	// A request the guard refuses counts nothing.
	if resp, _ := do(t, "GET", gw.URL+"/limited", "garbage", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", resp.StatusCode)
	}
	got := events.Events()
	if len(got) != 1 || got[0] != (usage.Event{Kind: usage.RateLimited, Time: got[0].Time, Limit: usage.LimitGatewayCaller,
		Route: "/limited", ClientID: "app", Subject: "alice", Address: "127.0.0.1"}) {
		t.Fatalf("events %+v", got)
	}
}

// TestGatewayRateLimitPerAddress: a route's rate_limit_per_address counts
// every request of an address (IPv6 by /64), refused tokens included,
// before the guard; a cookie route's refusal carries its CORS headers.
func TestGatewayRateLimitPerAddress(t *testing.T) {
	iss := newDPoPIssuer(t)
	up, reached := counting(t)
	events := &usagetest.Recorder{Kinds: []usage.Kind{usage.RateLimited}}
	limit := usage.Limit{Rate: 2, Period: time.Hour, Burst: 2}
	gw := start(t, iss.URL, func(c *gateway.Config) {
		c.Usage, c.Cookies = events, cookieSettings()
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	},
		gateway.Route{Path: "/limited", Upstream: up.URL, RateLimitPerAddress: limit},
		gateway.Route{Path: "/app", Upstream: up.URL, RateLimitPerAddress: limit, Cookies: true},
	)
	good := iss.Token("list:users")
	from := func(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }
	if resp, _ := do(t, "GET", gw.URL+"/limited", "garbage", from("198.51.100.7")); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", gw.URL+"/limited", good, from("198.51.100.7")); resp.StatusCode != http.StatusOK {
		t.Fatalf("second request: %d", resp.StatusCode)
	}
	resp, body := do(t, "GET", gw.URL+"/limited", good, from("198.51.100.7"))
	checkTooMany(t, resp, body, usage.LimitGatewayAddress, limit)
	if resp, _ := do(t, "GET", gw.URL+"/limited", good, from("198.51.100.8")); resp.StatusCode != http.StatusOK {
		t.Fatalf("another address: %d", resp.StatusCode)
	}
	for i := range 2 {
		do(t, "GET", gw.URL+"/limited", good, from("2001:db8:1:2::"+strconv.Itoa(i+1)))
	}
	resp, body = do(t, "GET", gw.URL+"/limited", good, from("2001:db8:1:2::ff"))
	checkTooMany(t, resp, body, usage.LimitGatewayAddress, limit)
	if n := reached.Load(); n != 4 {
		t.Fatalf("upstream reached %d times, want 4", n)
	}

	// The cookie route: the app's requests without a cookie are refused
	// by the agent's checks, then by the limit, readable by the app.
	app := http.Header{"Origin": {appOrigin}, "X-Forwarded-For": {"203.0.113.9"}}
	for range 2 {
		do(t, "GET", gw.URL+"/app", "", app)
	}
	resp, body = do(t, "GET", gw.URL+"/app", "", app)
	checkTooMany(t, resp, body, usage.LimitGatewayAddress, limit)
	if resp.Header.Get("Access-Control-Allow-Origin") != appOrigin || resp.Header.Get("Access-Control-Expose-Headers") != usage.ExposedHeaders {
		t.Fatalf("cookie route refusal without CORS: %v", resp.Header)
	}
	got := events.Events()
	if len(got) != 3 || got[0].Limit != usage.LimitGatewayAddress || got[0].Route != "/limited" || got[0].Address != "198.51.100.7" ||
		got[1].Address != "2001:db8:1:2::ff" || got[2].Route != "/app" {
		t.Fatalf("events %+v", got)
	}
}

// TestFaultGatewayRateLimitsRedisDown: with the shared limiter's Redis
// unreachable, callers with valid tokens are not limited, and limits per
// address hold in the gateway's memory.
func TestFaultGatewayRateLimitsRedisDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	rs, err := redisstate.Open(context.Background(), "redis://"+addr+"/0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	iss := newDPoPIssuer(t)
	up, _ := counting(t)
	limit := usage.Limit{Rate: 2, Period: time.Hour, Burst: 2}
	gw := start(t, iss.URL, func(c *gateway.Config) { c.Limiter = rs.Limiter() },
		gateway.Route{Path: "/callers", Upstream: up.URL, RateLimit: limit},
		gateway.Route{Path: "/addresses", Upstream: up.URL, RateLimitPerAddress: limit},
	)
	tok := iss.Token("")
	for i := range 5 {
		if resp, body := do(t, "GET", gw.URL+"/callers", tok, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("caller request %d with Redis down: %d %s, want 200 (fail open)", i, resp.StatusCode, body)
		}
	}
	for range 2 {
		do(t, "GET", gw.URL+"/addresses", tok, nil)
	}
	resp, body := do(t, "GET", gw.URL+"/addresses", tok, nil)
	checkTooMany(t, resp, body, usage.LimitGatewayAddress, limit)
}
