package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/portcullis/portcullis/store"
)

// connector opens the pool's connections through the modernc driver and
// wraps each so that one which met a write fault leaves the pool. SQLite
// opens a file it may not write read-only without saying so, and such a
// connection stays read-only after the permissions are restored; a
// connection that saw the disk full is dropped too, so that fresh ones
// start over once there is room.
type connector struct {
	dsn  string
	path string // the database file, named in write faults
	drv  driver.Driver
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, classify(err, c.path)
	}
	return &conn{Conn: dc, path: c.path}, nil
}

func (c connector) Driver() driver.Driver { return c.drv }

// conn is a driver connection that remembers a write fault.
type conn struct {
	driver.Conn
	path    string
	faulted atomic.Bool
}

// check classifies err, marking the connection for removal on a fault.
func (c *conn) check(err error) error {
	err = classify(err, c.path)
	// A lock timeout says nothing about this connection; a full disk or a
	// file gone read-only does, and a fresh connection is what recovers.
	if f, ok := errors.AsType[*store.WriteFault](err); ok && f.Cause != store.CauseLockTimeout {
		c.faulted.Store(true)
	}
	return err
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	r, err := c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
	return r, c.check(err)
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	r, err := c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	return r, c.check(err)
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	return s, c.check(err)
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	t, err := c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		return nil, c.check(err)
	}
	return tx{t, c}, nil
}

func (c *conn) Ping(ctx context.Context) error {
	return c.check(c.Conn.(driver.Pinger).Ping(ctx))
}

// ResetSession implements driver.SessionResetter: a faulted connection is
// not used again.
func (c *conn) ResetSession(ctx context.Context) error {
	if c.faulted.Load() {
		return driver.ErrBadConn
	}
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

// IsValid implements driver.Validator: a faulted connection is closed
// instead of returning to the pool.
func (c *conn) IsValid() bool {
	return !c.faulted.Load() && c.Conn.(driver.Validator).IsValid()
}

// tx classifies the errors of Commit, where a full disk shows when the
// write-ahead log cannot grow.
type tx struct {
	driver.Tx
	c *conn
}

func (t tx) Commit() error { return t.c.check(t.Tx.Commit()) }

// classify turns SQLite's errors for a full database or disk, for a file
// this process may not write and for a lock not had within busy_timeout
// into a *store.WriteFault; others pass. A read-only fault names the file
// of path's that this process may not write, and why, rather than
// SQLite's "attempt to write a readonly database (8)", when access(2)
// tells.
func classify(err error, path string) error {
	se, ok := errors.AsType[*msqlite.Error](err)
	if !ok {
		return err
	}
	switch {
	case se.Code()&0xff == sqlite3.SQLITE_FULL:
		return &store.WriteFault{Cause: store.CauseDiskFull, Err: err}
	case notWritable(se.Code()):
		if werr := writable(path); werr != nil {
			return werr
		}
		return &store.WriteFault{Cause: store.CauseReadOnly, Err: err}
	case se.Code()&0xff == sqlite3.SQLITE_BUSY:
		return &store.WriteFault{Cause: store.CauseLockTimeout, Err: err}
	}
	return err
}
