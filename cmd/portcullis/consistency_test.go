package main

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/sdk"
	"github.com/portcullis/portcullis/store/postgres/pgtest"
)

// A change through the management API takes effect at every instance
// within a second with Redis and within five seconds without it: three
// instances of serve share one PostgreSQL database; the SDK creates an API
// with a scope and a client holding it through the first, and the client
// then gets a token for the API at the second and the third; the API's
// deletion through the first then stops new tokens at both.
func TestManagementChangeReachesEveryInstance(t *testing.T) {
	tests := []struct {
		name  string
		redis string
		bound time.Duration
	}{
		{"with Redis", os.Getenv("PORTCULLIS_TEST_REDIS"), time.Second},
		{"without Redis", "", 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "with Redis" && tt.redis == "" {
				t.Skip("PORTCULLIS_TEST_REDIS not set (e.g. redis://127.0.0.1:6379/0): the bound with Redis is not checked")
			}
			checkConsistency(t, pgtest.FreshSchema(t), tt.redis, tt.bound)
		})
	}
}

// checkConsistency runs the test on three instances sharing the database
// dsn (and Redis, unless redis is empty).
func checkConsistency(t *testing.T, dsn, redis string, bound time.Duration) {
	const secret = "admin-secret-with-at-least-32-characters"
	doc := `
issuer: ISSUER
listen: LISTEN
storage: ` + dsn + `
shutdown_delay: 1ms
clients:
  - client_id: ops
    client_secret: ${ADMIN_SECRET}
    grant_types: [client_credentials]
    scopes: [admin:apis:write, admin:clients:write]
`
	if redis != "" {
		doc += "redis: " + redis + "\n"
	}
	vars := map[string]string{"ADMIN_SECRET": secret}
	first := serveInProcess(t, doc, vars)
	others := []string{serveInProcess(t, doc, vars), serveInProcess(t, doc, vars)}

	ctx := context.Background()
	cc := clientcredentials.Config{ClientID: "ops", ClientSecret: secret, TokenURL: first + "/token"}
	c, err := sdk.New(first, cc.Client(ctx))
	if err != nil {
		t.Fatal(err)
	}
	const api, scope = "https://orders.example.com", "orders:read"
	if _, err := c.APIs.Create(ctx, registry.API{Identifier: api, Scopes: []registry.Scope{{Name: scope}}}); err != nil {
		t.Fatal(err)
	}
	svc, err := c.Clients.Create(ctx, registry.Client{ClientID: "orders-service",
		GrantTypes: []string{"client_credentials"}, Scopes: []string{scope}})
	if err != nil {
		t.Fatal(err)
	}
	id, sec := svc.Value.ClientID, svc.Value.ClientSecret
	// The change is complete once the client's creation is answered; the
	// delay runs from then.
	delays := untilEvery(t, others, bound, func(base string) bool { return token(t, base, id, sec, api) == http.StatusOK })
	t.Logf("created through %s: a token at the other instances after %v", first, delays)

	if err := c.APIs.Delete(ctx, api, ""); err != nil {
		t.Fatal(err)
	}
	delays = untilEvery(t, others, bound, func(base string) bool { return token(t, base, id, sec, api) != http.StatusOK })
	t.Logf("deleted through %s: no new token at the other instances after %v", first, delays)
}

// untilEvery polls ok at each of bases until it holds there, and returns
// how long each took; it fails the test if one takes longer than bound.
func untilEvery(t *testing.T, bases []string, bound time.Duration, ok func(base string) bool) []time.Duration {
	t.Helper()
	start := time.Now()
	delays := make([]time.Duration, len(bases))
	for left := len(bases); left > 0; time.Sleep(10 * time.Millisecond) {
		for i, base := range bases {
			if delays[i] == 0 && ok(base) {
				delays[i], left = time.Since(start), left-1
			}
		}
		if left > 0 && time.Since(start) > bound {
			t.Fatalf("after %v, not every instance has the change (delays %v; 0 is not yet)", bound, delays)
		}
	}
	for i, d := range delays {
		if d > bound {
			t.Errorf("the instance at %s took %v, more than %v", bases[i], d, bound)
		}
	}
	return delays
}
