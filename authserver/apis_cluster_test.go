package authserver_test

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/redisstate"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/postgres/pgtest"
)

// TestClusterAPIs: an API created at one of three instances on one
// PostgreSQL database, and announced as the management API announces it
// (ReloadAPIs there, a change notice), is usable at the other two within
// a second with Redis, and within five seconds without it, by the 2 s
// polling of serve. Tokens are asked for by a stored client allowed the
// API's scope, with resource naming it.
func TestClusterAPIs(t *testing.T) {
	redisURL := os.Getenv("PORTCULLIS_TEST_REDIS")
	tests := []struct {
		name  string
		redis bool
		poll  time.Duration
		bound time.Duration
	}{
		// With Redis the polling is left out of the bound: an hour.
		{"redis notices", true, time.Hour, time.Second},
		{"polling alone", false, 2 * time.Second, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.redis && redisURL == "" {
				t.Skip("PORTCULLIS_TEST_REDIS not set: no Redis for change notices")
			}
			c := authservertest.NewCluster(t, 3, sharedStore(pgtest.FreshSchema(t), ""))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var publisher *redisstate.Client
			for _, node := range c.Nodes {
				go node.Instance.RunAPIs(ctx, tt.poll)
				if tt.redis {
					rs := openRedis(t, redisURL)
					publisher = rs
					go rs.SubscribeChanges(ctx, redisstate.TopicAPIs, node.Instance.APIsChanged)
				}
			}
			a := c.Nodes[0]
			secret := storedClient(t, a.Store, "reporter", nil, "reports:read")
			for _, node := range c.Nodes {
				if status, body := ccToken(t, node.URL, "reporter", secret, reportsAPI); status != http.StatusBadRequest || body["error"] != "invalid_target" {
					t.Fatalf("before the API exists, at %s: %d %v", node.URL, status, body)
				}
			}
			// Let the subscriptions settle, so that the notice finds them.
			time.Sleep(300 * time.Millisecond)

			api := store.API{Identifier: reportsAPI, Name: "Reports", Scopes: []store.Scope{{Name: "reports:read"}}, CreatedAt: time.Now()}
			if err := a.Store.CreateAPI(ctx, api); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			announce(t, ctx, a.Instance, publisher)
			if status, body := ccToken(t, a.URL, "reporter", secret, reportsAPI); status != http.StatusOK {
				t.Fatalf("at the instance that made the change, at once: %d %v", status, body)
			}
			for _, node := range c.Nodes[1:] {
				for {
					status, body := ccToken(t, node.URL, "reporter", secret, reportsAPI)
					if status == http.StatusOK {
						break
					}
					if time.Since(start) > tt.bound {
						t.Fatalf("%s still refuses the API %v after the change: %d %v", node.URL, tt.bound, status, body)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			t.Logf("every instance grants tokens for the new API %v after the change", time.Since(start).Round(time.Millisecond))
		})
	}
}

// announce does what serve's apisChanged does after a management API
// change: reload here, and tell the others when there is Redis.
func announce(t *testing.T, ctx context.Context, srv *authserver.Server, rs *redisstate.Client) {
	t.Helper()
	if err := srv.ReloadAPIs(ctx); err != nil {
		t.Fatal(err)
	}
	if rs != nil {
		rs.PublishChange(ctx, redisstate.TopicAPIs)
	}
}
