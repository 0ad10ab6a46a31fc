package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// errVeto is what the tests' delete checks refuse with; it must come back
// from the store as it is.
var errVeto = errors.New("storetest: the check refused")

// versioned is a kind of record the store deletes with a check: created
// with a version, updated to another, deleted with a check that sees the
// version the row holds at that moment.
type versioned struct {
	name   string
	create func(ctx context.Context, s store.Store, version string) error
	update func(ctx context.Context, s store.Store, check func(version string) error, version string) error
	delete func(ctx context.Context, s store.Store, now time.Time, check func(version string) error) error
	exists func(ctx context.Context, s store.Store) bool
}

// versionedKinds are clients (versioned by their first scope), APIs (by
// name) and users (by username).
var versionedKinds = []versioned{
	{
		name: "client",
		create: func(ctx context.Context, s store.Store, v string) error {
			return s.CreateClient(ctx, store.Client{ID: "svc", AuthMethod: store.AuthSecretBasic,
				GrantTypes: []string{"client_credentials"}, Scopes: []string{v}, CreatedAt: time.Now()})
		},
		update: func(ctx context.Context, s store.Store, check func(string) error, v string) error {
			return s.UpdateClient(ctx, "svc", func(c *store.Client) error {
				if err := check(c.Scopes[0]); err != nil {
					return err
				}
				c.Scopes = []string{v}
				return nil
			})
		},
		delete: func(ctx context.Context, s store.Store, now time.Time, check func(string) error) error {
			var f func(store.Client) error
			if check != nil {
				f = func(c store.Client) error { return check(c.Scopes[0]) }
			}
			return s.DeleteClient(ctx, store.NewCutoff("svc", "", now, time.Hour), now, f)
		},
		exists: func(ctx context.Context, s store.Store) bool { _, err := s.GetClient(ctx, "svc"); return err == nil },
	},
	{
		name: "API",
		create: func(ctx context.Context, s store.Store, v string) error {
			return s.CreateAPI(ctx, store.API{Identifier: "https://orders.example", Name: v, CreatedAt: time.Now()})
		},
		update: func(ctx context.Context, s store.Store, check func(string) error, v string) error {
			return s.UpdateAPI(ctx, "https://orders.example", func(a *store.API) error {
				if err := check(a.Name); err != nil {
					return err
				}
				a.Name = v
				return nil
			})
		},
		delete: func(ctx context.Context, s store.Store, _ time.Time, check func(string) error) error {
			var f func(store.API) error
			if check != nil {
				f = func(a store.API) error { return check(a.Name) }
			}
			return s.DeleteAPI(ctx, "https://orders.example", f)
		},
		exists: func(ctx context.Context, s store.Store) bool {
			_, err := s.GetAPI(ctx, "https://orders.example")
			return err == nil
		},
	},
	{
		name: "user",
		create: func(ctx context.Context, s store.Store, v string) error {
			return s.CreateUser(ctx, store.User{ID: "u1", Username: v, CreatedAt: time.Now()})
		},
		update: func(ctx context.Context, s store.Store, check func(string) error, v string) error {
			return s.UpdateUser(ctx, "u1", func(u *store.User) error {
				if err := check(u.Username); err != nil {
					return err
				}
				u.Username = v
				return nil
			})
		},
		delete: func(ctx context.Context, s store.Store, now time.Time, check func(string) error) error {
			var f func(store.User) error
			if check != nil {
				f = func(u store.User) error { return check(u.Username) }
			}
			return s.DeleteUser(ctx, store.NewCutoff("", "u1", now, time.Hour), now, f)
		},
		exists: func(ctx context.Context, s store.Store) bool { _, err := s.GetUser(ctx, "u1"); return err == nil },
	},
}

// isVersion is a check that refuses (errVeto) a row whose version is not
// want.
func isVersion(want string) func(string) error {
	return func(got string) error {
		if got != want {
			return errVeto
		}
		return nil
	}
}

// testDeleteCheck deletes each kind with a check: the check sees the row
// as last updated, its error aborts the deletion (the row stays, nothing
// is revoked) and comes back unchanged, and a passing check deletes.
func testDeleteCheck(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	// A refused client deletion revokes nothing.
	if err := versionedKinds[0].create(ctx, s, "v1"); err != nil {
		t.Fatal(err)
	}
	issue(t, s, store.RefreshToken{Hash: "rt", GrantID: "g", UserID: "u", ClientID: "svc", ExpiresAt: now.Add(time.Hour)})
	if err := versionedKinds[0].delete(ctx, s, now, isVersion("other")); err != errVeto {
		t.Fatalf("refused delete: %v", err)
	}
	if rt, _ := s.GetRefreshToken(ctx, "rt"); !rt.RevokedAt.IsZero() {
		t.Fatal("a refused client deletion revoked its refresh token")
	}
	if nb, _ := s.NotBefore(ctx, "svc", "u"); !nb.IsZero() {
		t.Fatal("a refused client deletion recorded a cutoff")
	}
	if err := versionedKinds[0].delete(ctx, s, now, nil); err != nil {
		t.Fatalf("delete without a check: %v", err)
	}
	for _, k := range versionedKinds {
		t.Run(k.name, func(t *testing.T) {
			if err := k.create(ctx, s, "v1"); err != nil {
				t.Fatal(err)
			}
			if err := k.update(ctx, s, isVersion("v1"), "v2"); err != nil {
				t.Fatal(err)
			}
			var seen string
			err := k.delete(ctx, s, now, func(v string) error { seen = v; return errVeto })
			if err != errVeto { // unchanged: not wrapped, not replaced
				t.Fatalf("delete with a refusing check: %v; want the check's error unchanged", err)
			}
			if seen != "v2" {
				t.Fatalf("the check saw version %q; want the updated v2", seen)
			}
			if !k.exists(ctx, s) {
				t.Fatal("a refused delete removed the row")
			}
			if err := k.delete(ctx, s, now, isVersion("v2")); err != nil {
				t.Fatalf("delete with a passing check: %v", err)
			}
			if k.exists(ctx, s) {
				t.Fatal("the row outlived its deletion")
			}
			if err := k.delete(ctx, s, now, func(string) error { t.Error("check ran on a missing row"); return nil }); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("delete of a missing row: %v; want ErrNotFound", err)
			}
		})
	}
}

// testDeleteCheckConcurrent races updates and deletions that all require
// the version they read first: whatever the order, exactly one succeeds,
// because each check runs on the row inside the change's transaction.
func testDeleteCheckConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	const n = 20
	for _, k := range versionedKinds {
		t.Run(k.name, func(t *testing.T) {
			if err := k.create(ctx, s, "v0"); err != nil {
				t.Fatal(err)
			}
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					var err error
					if i%2 == 0 {
						err = k.delete(ctx, s, now, isVersion("v0"))
					} else {
						err = k.update(ctx, s, isVersion("v0"), fmt.Sprintf("v%d", i))
					}
					switch {
					case err == nil:
						wins.Add(1)
					case errors.Is(err, errVeto), errors.Is(err, store.ErrNotFound):
					default:
						t.Errorf("racer %d: %v", i, err)
					}
				})
			}
			wg.Wait()
			if got := wins.Load(); got != 1 {
				t.Fatalf("%d of %d racing changes to one version succeeded; want exactly 1", got, n)
			}
		})
	}
}
