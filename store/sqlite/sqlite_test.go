package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "sub", "p.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`INSERT INTO schema_migrations (version) VALUES (9999)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(ctx, path); !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open on a newer schema: got %v, want ErrSchemaTooNew", err)
	}
}

// openTwice opens two handles on one new database file, as two processes
// would; the test closes them.
func openTwice(t *testing.T) (a, b *Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.db")
	for _, s := range []**Store{&a, &b} {
		st, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		*s = st
	}
	return a, b
}

func TestOpenTwiceSharesState(t *testing.T) {
	ctx := context.Background()
	a, b := openTwice(t)
	if err := a.CreateClient(ctx, store.Client{ID: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetClient(ctx, "x"); err != nil {
		t.Fatalf("second handle does not see the first one's client: %v", err)
	}
}

func TestStatus(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	cur, latest, err := Status(ctx, path)
	if err != nil || cur != 0 || latest < 3 {
		t.Fatalf("Status of a missing file = %d, %d, %v", cur, latest, err)
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if cur, latest2, err := Status(ctx, path); err != nil || cur != latest || latest2 != latest {
		t.Fatalf("Status after Open = %d, %d, %v; want %d", cur, latest2, err, latest)
	}
}
