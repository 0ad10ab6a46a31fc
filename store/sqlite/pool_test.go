package sqlite

import (
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/portcullis/portcullis/store"
)

// TestBusyIsLockTimeout: a write that waited out busy_timeout is a lock
// timeout (503 and readiness, as on PostgreSQL), and does not retire the
// connection it met, which did nothing wrong.
func TestBusyIsLockTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	open := func() *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(1)&_pragma=journal_mode(WAL)")
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
		return db
	}
	holder, waiter := open(), open()
	if _, err := holder.Exec(`CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	tx, err := holder.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	_, busy := waiter.Exec(`INSERT INTO t VALUES (2)`)
	f, ok := errors.AsType[*store.WriteFault](classify(busy, ""))
	if !ok || f.Cause != store.CauseLockTimeout {
		t.Fatalf("classify(%v) = %v, want a lock-timeout write fault", busy, classify(busy, ""))
	}
	c := &conn{}
	c.check(busy)
	if c.faulted.Load() {
		t.Error("a lock timeout retired the connection")
	}
}
