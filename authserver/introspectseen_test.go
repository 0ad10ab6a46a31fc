package authserver_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/postgres/pgtest"
	"github.com/portcullis/portcullis/store/sqlite"
)

// sharedBackends runs f on a two-node cluster over each shared store: one
// SQLite file opened by each node as by two processes, and PostgreSQL when
// PORTCULLIS_TEST_POSTGRES is set.
func sharedBackends(t *testing.T, f func(t *testing.T, c *authservertest.Cluster)) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "p.db")
		f(t, authservertest.NewCluster(t, 2, func(tb testing.TB) store.Store {
			st, err := sqlite.Open(context.Background(), path)
			if err != nil {
				tb.Fatal(err)
			}
			return st
		}))
	})
	t.Run("postgres", func(t *testing.T) {
		f(t, authservertest.NewCluster(t, 2, sharedStore(pgtest.FreshSchema(t), "")))
	})
}

func introspectAt(t testing.TB, node *authservertest.Server, tok string) any {
	t.Helper()
	status, body := postForm(t, node.URL+"/introspect", url.Values{"token": {tok}}, basic(node.ClientID, node.ClientSecret))
	if status != http.StatusOK {
		t.Fatalf("introspect: %d %v", status, body)
	}
	return body["active"]
}

// TestIntrospectSeenTokenRevokedElsewhere introspects a token at A, so
// that A remembers it, revokes it through B in each way a token can be
// revoked, and introspects it at A again: inactive, at once.
func TestIntrospectSeenTokenRevokedElsewhere(t *testing.T) {
	ctx := context.Background()
	// A cutoff covers the tokens issued before it, in whole seconds: one
	// a second ahead covers the token just issued.
	cutoff := func(client, subject string) func(*testing.T, *authservertest.Server, string) {
		return func(t *testing.T, b *authservertest.Server, _ string) {
			if _, err := b.Store.RevokeAll(ctx, store.NewCutoff(client, subject, time.Now().Add(time.Second), time.Hour), time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name   string
		revoke func(t *testing.T, b *authservertest.Server, tok string)
	}{
		{"revocation endpoint", func(t *testing.T, b *authservertest.Server, tok string) { b.Revoke(t, tok) }},
		// The test client's tokens have its ID as their subject.
		{"cutoff of the client", cutoff("test-client", "")},
		{"cutoff of the subject", cutoff("", "test-client")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sharedBackends(t, func(t *testing.T, c *authservertest.Cluster) {
				a, b := c.Nodes[0], c.Nodes[1]
				tok := a.Token(t, "list:users")
				for range 3 {
					if got := introspectAt(t, a, tok); got != true {
						t.Fatalf("before revocation: active = %v", got)
					}
				}
				tc.revoke(t, b, tok)
				if got := introspectAt(t, a, tok); got != false {
					t.Fatalf("introspection at A right after revocation through B: active = %v", got)
				}
			})
		})
	}
}

// TestIntrospectRevokedUnderLoad introspects one token at A from many
// goroutines while B revokes it: every introspection sent after the
// revocation returned must answer inactive.
func TestIntrospectRevokedUnderLoad(t *testing.T) {
	sharedBackends(t, func(t *testing.T, c *authservertest.Cluster) {
		a, b := c.Nodes[0], c.Nodes[1]
		tok := a.Token(t, "list:users")
		introspectAt(t, a, tok)
		var revoked atomic.Bool
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var after atomic.Int64
		for range 16 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					sentAfter := revoked.Load()
					active := introspectAt(t, a, tok)
					if sentAfter {
						after.Add(1)
						if active != false {
							t.Errorf("an introspection sent after the revocation returned answered active = %v", active)
							return
						}
					}
				}
			})
		}
		time.Sleep(50 * time.Millisecond)
		b.Revoke(t, tok)
		revoked.Store(true)
		time.Sleep(200 * time.Millisecond)
		close(stop)
		wg.Wait()
		if after.Load() == 0 {
			t.Fatal("no introspection was sent after the revocation: the test checked nothing")
		}
	})
}
