package authserver_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	msqlite "modernc.org/sqlite"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/sqlite"
)

// pageLimits caps the size, in pages, of SQLite files opened from now on
// (PRAGMA max_page_count on each new connection): path to limit.
var pageLimits = func() *atomic.Pointer[map[string]int64] {
	var p atomic.Pointer[map[string]int64]
	p.Store(&map[string]int64{})
	msqlite.RegisterConnectionHook(func(c msqlite.ExecQuerierContext, dsn string) error {
		for path, n := range *p.Load() {
			if strings.HasPrefix(dsn, "file:"+path+"?") {
				_, err := c.ExecContext(context.Background(), fmt.Sprintf("PRAGMA max_page_count = %d", n), nil)
				return err
			}
		}
		return nil
	})
	return &p
}()

// pageCount returns the number of pages of the SQLite file at path.
func pageCount(t *testing.T, path string) int64 {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow(`PRAGMA page_count`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// faultCluster starts one instance on the SQLite file at path, with a
// clock the test moves forward by advance.
func faultCluster(t *testing.T, path string) (node *authservertest.Server, advance func()) {
	var offset atomic.Int64
	c := authservertest.NewCluster(t, 1, func(t testing.TB) store.Store {
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}, func(c *authserver.Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	})
	return c.Nodes[0], func() { offset.Add(int64(2 * time.Second)) }
}

// readyz returns the status and the store check of node's /readyz.
// awaitReady moves the clock past the probe interval and asks /readyz
// until it answers 200, a bounded number of times; why says what the test
// waited for.
func awaitReady(t *testing.T, node *authservertest.Server, advance func(), why string) {
	t.Helper()
	for range 20 {
		advance()
		if status, _ := readyz(t, node); status == http.StatusOK {
			return
		}
	}
	t.Fatal(why)
}

func readyz(t *testing.T, node *authservertest.Server) (int, any) {
	t.Helper()
	resp, err := http.Get(node.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, decode(t, resp)["store"]
}

// TestFaultDiskFull fills the store (max_page_count stands in for a full
// disk): /readyz answers 503 "not writable: disk full" while revocations
// fail, and once there is room again it answers 200 by itself, and many
// revocations in a row succeed, without a restart.
func TestFaultDiskFull(t *testing.T) {
	// A first instance measures what start-up needs, so that the limit
	// leaves a little room above it.
	dry := filepath.Join(t.TempDir(), "dry.db")
	faultCluster(t, dry)
	room := pageCount(t, dry) + 40

	path := filepath.Join(t.TempDir(), "full.db")
	pageLimits.Store(&map[string]int64{path: room})
	t.Cleanup(func() { pageLimits.Store(&map[string]int64{}) })
	node, advance := faultCluster(t, path)
	if status, st := readyz(t, node); status != http.StatusOK {
		t.Fatalf("readyz before the disk fills = %d %v", status, st)
	}

	ctx := context.Background()
	var err error
	for i := 0; i < 100_000 && err == nil; i++ {
		err = node.Store.RevokeToken(ctx, store.Revocation{JTI: fmt.Sprintf("fill-%06d-%s", i, strings.Repeat("x", 100)), ExpiresAt: time.Now().Add(time.Hour), RevokedAt: time.Now()})
	}
	if f, ok := errors.AsType[*store.WriteFault](err); !ok || f.Cause != store.CauseDiskFull {
		t.Fatalf("revocation on a full store = %v, want a disk-full WriteFault", err)
	}
	advance()
	if status, st := readyz(t, node); status != http.StatusServiceUnavailable || st != "not writable: disk full" {
		t.Fatalf("readyz with the disk full = %d %v, want 503 not writable: disk full", status, st)
	}

	pageLimits.Store(&map[string]int64{})
	awaitReady(t, node, advance, "readyz stayed 503 after the disk had room again")
	for range 200 {
		node.Revoke(t, node.Token(t, "list:users"))
	}
}
