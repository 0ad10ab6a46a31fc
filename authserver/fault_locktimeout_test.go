package authserver_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/postgres"
	"github.com/portcullis/portcullis/store/postgres/pgtest"
)

// TestFaultLockTimeout holds a table locked from another connection, as
// an instance stalled in a write holds what others need. Requests that
// write it fail with a lock timeout: /revoke answers 503
// temporarily_unavailable with Retry-After instead of 500, as does a token
// request whose DPoP proof's jti cannot be recorded, the sign-in page its
// error page; three such failures make /readyz report "not writable:
// lock timeout", and once the lock is released the instance is ready and
// the request succeeds.
func TestFaultLockTimeout(t *testing.T) {
	tests := []struct {
		name  string
		table string
		// fail makes a request that writes table and checks its answer
		// while the table is locked; succeed makes one that must succeed.
		fail, succeed func(t *testing.T, node *authservertest.Server)
	}{
		{"revocation", "revocations", func(t *testing.T, node *authservertest.Server) {
			req, _ := http.NewRequest(http.MethodPost, node.URL+"/revoke", strings.NewReader(url.Values{"token": {node.Token(t, "list:users")}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(node.ClientID, node.ClientSecret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := decode(t, resp)
			if resp.StatusCode != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" || resp.Header.Get("Retry-After") != "1" {
				t.Fatalf("revocation with the table locked = %d %v, Retry-After %q; want 503 temporarily_unavailable, Retry-After 1",
					resp.StatusCode, body, resp.Header.Get("Retry-After"))
			}
		}, func(t *testing.T, node *authservertest.Server) {
			node.Revoke(t, node.Token(t, "list:users"))
		}},
		{"DPoP proof", "used_once", func(t *testing.T, node *authservertest.Server) {
			// The proof's jti cannot be recorded: a server fault, not a
			// refused proof.
			status, h, body := dpopPost(t, node.URL+"/token", ccForm, proofOf(t, newKey(t), node.Config.Issuer+"/token", ""), basic(node.ClientID, node.ClientSecret))
			if status != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" || h.Get("Retry-After") != "1" {
				t.Fatalf("token request with a proof, used_once locked = %d %v; want 503 temporarily_unavailable, Retry-After 1", status, body)
			}
		}, func(t *testing.T, node *authservertest.Server) {
			status, _, body := dpopPost(t, node.URL+"/token", ccForm, proofOf(t, newKey(t), node.Config.Issuer+"/token", ""), basic(node.ClientID, node.ClientSecret))
			if status != http.StatusOK || body["token_type"] != "DPoP" {
				t.Fatalf("token request with a proof = %d %v", status, body)
			}
		}},
		{"sign-in page", "auth_requests", func(t *testing.T, node *authservertest.Server) {
			if p := newBrowser(t, node).get(webFlow(node, "openid").authURL()); p.status != http.StatusInternalServerError {
				t.Fatalf("sign-in page with the table locked = %d, want 500", p.status)
			}
		}, func(t *testing.T, node *authservertest.Server) {
			if p := newBrowser(t, node).get(webFlow(node, "openid").authURL()); p.status != http.StatusOK {
				t.Fatalf("sign-in page = %d, want 200", p.status)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := pgtest.WithParam(pgtest.FreshSchema(t), "lock_timeout", "100ms")
			// The clock stands still unless the test moves it, so that no
			// probe runs between the faults and the /readyz that counts
			// them.
			start := time.Now()
			var offset atomic.Int64
			c := authservertest.NewCluster(t, 1, func(t testing.TB) store.Store {
				st, err := postgres.Open(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				return st
			}, func(c *authserver.Config) {
				c.Now = func() time.Time { return start.Add(time.Duration(offset.Load())) }
			})
			node := c.Nodes[0]
			if status, st := readyz(t, node); status != http.StatusOK {
				t.Fatalf("readyz before = %d %v", status, st)
			}

			holder, err := pgx.Connect(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer holder.Close(ctx)
			tx, err := holder.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, `LOCK TABLE `+tt.table+` IN EXCLUSIVE MODE`); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				tt.fail(t, node)
			}
			if status, st := readyz(t, node); status != http.StatusServiceUnavailable || st != "not writable: lock timeout" {
				t.Fatalf("readyz after three lock timeouts = %d %v, want 503 not writable: lock timeout", status, st)
			}

			if err := tx.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			offset.Add(int64(2 * time.Second))
			if status, st := readyz(t, node); status != http.StatusOK {
				t.Fatalf("readyz after the lock was released = %d %v, want 200", status, st)
			}
			tt.succeed(t, node)
		})
	}
}
