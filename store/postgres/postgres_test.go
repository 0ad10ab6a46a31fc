package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/postgres/pgtest"
	"github.com/portcullis/portcullis/store/storetest"
)

// openFresh opens a store on a fresh schema, closed when the test ends.
func openFresh(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(context.Background(), pgtest.FreshSchema(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() }) // runs before the schema is dropped
	return s
}

func TestConformance(t *testing.T) {
	pgtest.DSN(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t) })
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.FreshSchema(t)
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES (9999)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(ctx, dsn); !errors.Is(err, ErrSchemaTooNew) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("Open on a newer schema: got %v, want ErrSchemaTooNew", err)
	}
	current, latest, err := Status(ctx, dsn)
	if err != nil || current != 9999 || latest >= 9999 {
		t.Fatalf("Status on a newer schema = %d, %d, %v; want 9999 and the binary's latest", current, latest, err)
	}
}

func TestStatus(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.FreshSchema(t)
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	want := ms[len(ms)-1].Version
	current, latest, err := Status(ctx, dsn)
	if err != nil || current != 0 || latest != want {
		t.Fatalf("Status before Open = %d, %d, %v; want 0, %d", current, latest, err, want)
	}
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	current, latest, err = Status(ctx, dsn)
	if err != nil || current != want || latest != want {
		t.Fatalf("Status after Open = %d, %d, %v; want %d, %d", current, latest, err, want, want)
	}
}

// TestOpenConcurrentMigrations is several instances starting at once on an
// empty schema: all must start, and each migration must be applied once.
func TestOpenConcurrentMigrations(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.FreshSchema(t)
	const n = 4
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = Open(ctx, dsn)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		return
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var applied int
	if err := stores[0].pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != len(ms) {
		t.Fatalf("schema_migrations has %d rows after %d concurrent Opens, want %d", applied, n, len(ms))
	}
}

// TestOpenTwiceSharesState is two instances on one database: what one
// writes, the other sees, and single use holds across them.
func TestOpenTwiceSharesState(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.FreshSchema(t)
	a, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.CreateClient(ctx, store.Client{ID: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetClient(ctx, "x"); err != nil {
		t.Fatalf("second handle does not see the first one's client: %v", err)
	}
	if err := a.RevokeToken(ctx, store.Revocation{JTI: "j", ExpiresAt: time.Now().Add(time.Hour), RevokedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.IsRevoked(ctx, "j"); err != nil || !ok {
		t.Fatalf("second handle IsRevoked = %v, %v; want the first one's revocation", ok, err)
	}
	if err := a.UseOnce(ctx, "jti", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := b.UseOnce(ctx, "jti", time.Now().Add(time.Minute)); !errors.Is(err, store.ErrReplay) {
		t.Fatalf("replay through the second handle: got %v, want ErrReplay", err)
	}
}

// TestIsolationPinned checks that a DSN asking for a stricter default
// isolation level does not change the level the store's guarantees rest on.
func TestIsolationPinned(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.WithParam(pgtest.FreshSchema(t), "default_transaction_isolation", "serializable"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var level string
	if err := s.pool.QueryRow(ctx, `SHOW transaction_isolation`).Scan(&level); err != nil {
		t.Fatal(err)
	}
	if level != "read committed" {
		t.Fatalf("transaction_isolation = %q, want read committed", level)
	}
}

func ExampleStatus() {
	current, latest, err := Status(context.Background(), "postgres://portcullis@db.internal:5432/portcullis")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("schema at version %d, this binary knows %d\n", current, latest)
}

// blockedOrDone waits until another backend waits for a lock held by the
// open transaction tx, or until done delivers the competing call's result
// because it did not wait. finished says which; a test that relies on the
// wait fails on finished with the race it exists to catch.
func blockedOrDone(t *testing.T, s *Store, tx pgx.Tx, done <-chan error) (err error, finished bool) {
	t.Helper()
	pid := tx.Conn().PgConn().PID()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var blocked bool
		if err := s.pool.QueryRow(context.Background(),
			`SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid)))`, pid).Scan(&blocked); err != nil {
			t.Fatal(err)
		}
		if blocked {
			return nil, false
		}
		select {
		case err := <-done:
			return err, true
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the competing call neither finished nor waited for the open transaction")
		}
	}
}
