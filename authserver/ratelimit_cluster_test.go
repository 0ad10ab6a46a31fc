package authserver_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/internal/faultproxy"
	"github.com/portcullis/portcullis/redisstate"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/postgres/pgtest"
	"github.com/portcullis/portcullis/usage"
)

// limitedClient adds a confidential client credentials client with limit
// l to cfg and returns its ID and secret. The ID is new at every run, so
// that allowances left in a shared Redis by other runs never count.
func limitedClient(cfg *authserver.Config, l usage.Limit) (id, secret string) {
	secret, hash := authserver.NewSecret()
	id = "limited-" + rand.Text()
	cfg.Clients = append(cfg.Clients, store.Client{ID: id, SecretHash: hash, AuthMethod: store.AuthSecretBasic,
		GrantTypes: []string{"client_credentials"}, Scopes: authservertest.Scopes,
		RateLimit: &store.RateLimit{Rate: l.Rate, Period: l.Period, Burst: l.Burst}})
	return id, secret
}

// openRedis opens a redisstate Client on rawURL, closed when the test ends.
func openRedis(t testing.TB, rawURL string) *redisstate.Client {
	t.Helper()
	rs, err := redisstate.Open(context.Background(), rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	return rs
}

// TestClusterRateLimit: two instances on one PostgreSQL database and one
// Redis count a client's token requests against one limit: of 60 requests
// sent at once, spread over both, the tokens issued stay within the burst
// plus the rate (the allowance an hour would give back).
func TestClusterRateLimit(t *testing.T) {
	dsn := pgtest.FreshSchema(t)
	redisURL := os.Getenv("PORTCULLIS_TEST_REDIS")
	if redisURL == "" {
		t.Skip("PORTCULLIS_TEST_REDIS is not set: instances share a rate limit only through Redis")
	}
	limit := usage.Limit{Rate: 10, Period: time.Hour, Burst: 10}
	var id, secret string
	c := authservertest.NewCluster(t, 2, sharedStore(dsn, redisURL), func(cfg *authserver.Config) {
		// One Client stands for each instance's own: the allowance
		// lives in Redis.
		cfg.Limiter = openRedis(t, redisURL).Limiter()
		id, secret = limitedClient(cfg, limit)
	})
	var mu sync.Mutex
	issued, refused := 0, 0
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			node := c.Nodes[i%2]
			a := send(t, formRequest(t, node.URL+"/token", url.Values{"grant_type": {"client_credentials"}}, basic(id, secret)))
			mu.Lock()
			defer mu.Unlock()
			switch a.status {
			case http.StatusOK:
				issued++
			case http.StatusTooManyRequests:
				refused++
			default:
				t.Errorf("token request: %d %s", a.status, a.body)
			}
		})
	}
	wg.Wait()
	if issued < limit.Allowance() || issued > limit.Allowance()+limit.Rate || issued+refused != 60 {
		t.Fatalf("%d tokens issued and %d refused across two instances; want between the burst (%d) and the burst plus the rate (%d)",
			issued, refused, limit.Allowance(), limit.Allowance()+limit.Rate)
	}
	t.Logf("%d issued, %d refused", issued, refused)
}

// TestFaultRateLimitsRedisDown: with Redis cut off (stalled behind a TCP
// proxy), authenticated callers are not rate limited (a client over its
// limit gets tokens) while per-address limits hold in each instance's
// memory; once Redis is back, the allowance it kept applies again.
func TestFaultRateLimitsRedisDown(t *testing.T) {
	redisURL := os.Getenv("PORTCULLIS_TEST_REDIS")
	if redisURL == "" {
		t.Skip("PORTCULLIS_TEST_REDIS is not set (e.g. redis://127.0.0.1:6379/0)")
	}
	u, err := url.Parse(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	p := faultproxy.New(t, u.Host)
	u.Host = p.Addr()
	rs := openRedis(t, u.String())
	perClient := usage.Limit{Rate: 2, Period: time.Hour, Burst: 2}
	perAddress := usage.Limit{Rate: 2, Period: time.Hour, Burst: 2}
	var id, secret string
	as := authservertest.New(t, func(c *authserver.Config) {
		c.Limiter = rs.Limiter()
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		c.RateLimits.Authorize = perAddress
		id, secret = limitedClient(c, perClient)
	})
	token := func() int {
		return send(t, formRequest(t, as.URL+"/token", url.Values{"grant_type": {"client_credentials"}}, basic(id, secret))).status
	}
	// An address of its own at every run, for the same reason as the
	// client's ID.
	b := make([]byte, 16)
	rand.Read(b)
	b[0], b[1] = 0x20, 0x01
	addr := netip.AddrFrom16([16]byte(b)).String()
	authorize := func(addr string) int {
		req, _ := http.NewRequest(http.MethodGet, webFlow(as, "openid").authURL(), nil)
		req.Header.Set("X-Forwarded-For", addr)
		return send(t, req).status
	}

	for range 2 {
		if s := token(); s != http.StatusOK {
			t.Fatalf("token within the limit: %d", s)
		}
	}
	if s := token(); s != http.StatusTooManyRequests {
		t.Fatalf("token over the limit with Redis up: %d", s)
	}

	p.Stall()
	for i := range 5 {
		if s := token(); s != http.StatusOK {
			t.Fatalf("token %d over the limit with Redis down: %d, want 200 (fail open)", i, s)
		}
	}
	for i := range 2 {
		if s := authorize(addr); s != http.StatusOK {
			t.Fatalf("authorize %d with Redis down: %d", i, s)
		}
	}
	if s := authorize(addr); s != http.StatusTooManyRequests {
		t.Fatalf("authorize over the limit with Redis down: %d, want 429 (decided in memory)", s)
	}
	if rs.Healthy() {
		t.Fatal("Redis reported healthy while stalled")
	}

	p.Resume()
	deadline := time.Now().Add(10 * time.Second)
	for !rs.Healthy() {
		if time.Now().After(deadline) {
			t.Fatal("Redis not healthy 10 s after the proxy resumed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := token(); s != http.StatusTooManyRequests {
		t.Fatalf("token after the outage: %d, want 429 (the allowance Redis kept)", s)
	}
}
