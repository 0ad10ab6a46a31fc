// Package sqlite is the embedded default store: a single SQLite file through
// the pure-Go modernc.org/sqlite driver, so that building Portcullis needs no
// C toolchain. Several processes (servers and the CLI) may share one file;
// SQLite's locking, in WAL mode with a busy timeout, serialises their writes.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/portcullis/portcullis/store"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// driverSQLite is the driver registered as "sqlite", so that connection
// hooks registered with modernc.org/sqlite apply to the store's
// connections.
var driverSQLite = func() driver.Driver {
	db, _ := sql.Open("sqlite", "")
	defer db.Close()
	return db.Driver()
}()

// Store implements store.Store on SQLite.
type Store struct {
	db   *sql.DB
	path string // the database file, for Probe
	// wal reads revocation versions; nil where the -shm file cannot be
	// mapped, and then every reading is the zero Version.
	wal *walIndex
	// auditFull inserts a full chunk of audit events (AppendAudit).
	auditFull struct {
		mu   sync.Mutex
		stmt *sql.Stmt
	}
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path, with its parent
// directory, and applies the embedded migrations. It creates the file, and
// so its -wal and -shm files, readable by the owner alone. A file or folder
// it may not write is reported as fs.ErrPermission with the path.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := create(path); err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// Immediate transactions take the write lock at BEGIN, so that two
	// writers wait on the busy timeout instead of one failing with
	// SQLITE_BUSY when it upgrades a read lock.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	db := sql.OpenDB(connector{dsn: "file:" + path + "?" + q.Encode(), path: path, drv: driverSQLite})
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, openError(path, err)
	}
	s := &Store{db: db, path: path}
	if w, err := openWALIndex(ctx, db, path); err == nil {
		s.wal = w
	}
	return s, nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// probeKey is the single-use mark Probe writes and removes. Its length
// makes the row need pages of its own: a database that cannot grow by them
// fails the probe, as it would fail the requests' writes.
var probeKey = "portcullis:probe:" + strings.Repeat("p", 5000)

// Probe implements store.Store. Besides writing, it checks that new
// connections could write too (see writable).
func (s *Store) Probe(ctx context.Context) error {
	if err := writable(s.path); err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO used_once (key, expires_at) VALUES (?, 0) ON CONFLICT (key) DO NOTHING`, probeKey); err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM used_once WHERE key = ?`, probeKey); err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	return nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	if s.auditFull.stmt != nil {
		s.auditFull.stmt.Close()
	}
	if s.wal != nil {
		s.wal.close()
	}
	return s.db.Close()
}

// RevocationVersion implements store.Store: the wal-index header, which
// every commit of any process changes, so it changes for more than
// revocations, but costs no query.
func (s *Store) RevocationVersion(context.Context) (store.Version, error) {
	if s.wal == nil {
		return store.Version{}, nil
	}
	return s.wal.version(), nil
}

// CreateClient implements store.Store.
func (s *Store) CreateClient(ctx context.Context, c store.Client) error {
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO clients (id, data, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		c.ID, string(data), c.CreatedAt.Unix())
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrAlreadyExists
	}
	return nil
}

// GetClient implements store.Store.
func (s *Store) GetClient(ctx context.Context, id string) (store.Client, error) {
	return getJSON[store.Client](ctx, s.db, "get client", `SELECT data FROM clients WHERE id = ?`, id)
}

// ListClients implements store.Store.
func (s *Store) ListClients(ctx context.Context) ([]store.Client, error) {
	return listJSON[store.Client](ctx, s.db, "list clients", `SELECT data FROM clients ORDER BY id`)
}

// UpdateClient implements store.Store. The client keeps its ID and
// CreatedAt whatever update does to them.
func (s *Store) UpdateClient(ctx context.Context, id string, update func(*store.Client) error) error {
	return updateJSON(ctx, s.db, "update client", `SELECT data FROM clients WHERE id = ?`, `UPDATE clients SET data = ? WHERE id = ?`, id,
		func(c *store.Client) error {
			created := c.CreatedAt
			if err := update(c); err != nil {
				return err
			}
			c.ID, c.CreatedAt = id, created
			return nil
		})
}

// DeleteClient implements store.Store.
func (s *Store) DeleteClient(ctx context.Context, c store.Cutoff, now time.Time, check func(store.Client) error) error {
	if c.ClientID == "" || c.Subject != "" {
		return fmt.Errorf("delete client: %w", store.ErrCutoffTarget)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete client: %w", err)
	}
	defer tx.Rollback()
	if err := deleteJSON(ctx, tx, "delete client", `DELETE FROM clients WHERE id = ? RETURNING data`, c.ClientID, check); err != nil {
		return err
	}
	if _, err := revokeAll(ctx, tx, c, now); err != nil {
		return fmt.Errorf("delete client: %w", err)
	}
	return tx.Commit()
}

// ListKeys implements store.Store.
func (s *Store) ListKeys(ctx context.Context) ([]store.Key, error) {
	return listKeys(ctx, s.db)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func listKeys(ctx context.Context, q querier) ([]store.Key, error) {
	rows, err := q.QueryContext(ctx, `SELECT kid, alg, private_key, created_at, activates_at FROM signing_keys ORDER BY activates_at, created_at, kid`)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	defer rows.Close()
	var out []store.Key
	for rows.Next() {
		var k store.Key
		var created, activates int64
		if err := rows.Scan(&k.ID, &k.Alg, &k.Private, &created, &activates); err != nil {
			return nil, fmt.Errorf("list keys: %w", err)
		}
		k.CreatedAt, k.ActivatesAt = time.UnixMicro(created), time.UnixMicro(activates)
		out = append(out, k)
	}
	return out, rows.Err()
}

// UpdateKeys implements store.Store.
func (s *Store) UpdateKeys(ctx context.Context, update func([]store.Key) ([]store.Key, error)) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update keys: %w", err)
	}
	defer tx.Rollback()
	current, err := listKeys(ctx, tx)
	if err != nil {
		return err
	}
	next, err := update(current)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM signing_keys`); err != nil {
		return fmt.Errorf("update keys: %w", err)
	}
	for _, k := range next {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO signing_keys (kid, alg, private_key, created_at, activates_at) VALUES (?, ?, ?, ?, ?)`,
			k.ID, k.Alg, k.Private, k.CreatedAt.UnixMicro(), k.ActivatesAt.UnixMicro()); err != nil {
			return fmt.Errorf("update keys: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("update keys: %w", err)
	}
	return nil
}

// RevokeToken implements store.Store.
func (s *Store) RevokeToken(ctx context.Context, r store.Revocation) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO revocations (jti, expires_at, revoked_at) VALUES (?, ?, ?) ON CONFLICT (jti) DO NOTHING`,
		r.JTI, r.ExpiresAt.Unix(), r.RevokedAt.Unix())
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// IsRevoked implements store.Store.
func (s *Store) IsRevoked(ctx context.Context, jti string) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM revocations WHERE jti = ?`, jti).Scan(&n); err != nil {
		return false, fmt.Errorf("is revoked: %w", err)
	}
	return n > 0, nil
}

// ListRevocations implements store.Store.
func (s *Store) ListRevocations(ctx context.Context, after int64, limit int) ([]store.Revocation, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT seq, jti, expires_at, revoked_at FROM revocations WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list revocations: %w", err)
	}
	defer rows.Close()
	var out []store.Revocation
	for rows.Next() {
		var r store.Revocation
		var exp, at int64
		if err := rows.Scan(&r.Seq, &r.JTI, &exp, &at); err != nil {
			return nil, fmt.Errorf("list revocations: %w", err)
		}
		r.ExpiresAt, r.RevokedAt = time.Unix(exp, 0), time.Unix(at, 0)
		out = append(out, r)
	}
	return out, rows.Err()
}

// UseOnce implements store.Store. The conditional upsert makes the check and
// the mark one statement, so the database decides which caller wins.
func (s *Store) UseOnce(ctx context.Context, key string, expiresAt time.Time) error {
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO used_once (key, expires_at) VALUES (?, ?)
		 ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE used_once.expires_at <= ?`,
		key, expiresAt.Unix(), time.Now().Unix())
	if err != nil {
		return fmt.Errorf("use once: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrReplay
	}
	return nil
}

// DeleteExpired implements store.Store.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) error {
	t := now.Unix()
	for _, q := range []struct {
		sql string
		arg int64
	}{
		{`DELETE FROM revocations WHERE expires_at < ?`, t},
		{`DELETE FROM cutoffs WHERE expires_at < ?`, t},
		{`DELETE FROM used_once WHERE expires_at < ?`, t},
		{`DELETE FROM auth_requests WHERE expires_at < ?`, t},
		{`DELETE FROM sessions WHERE expires_at < ?`, t},
		{`DELETE FROM auth_codes WHERE expires_at < ?`, t},
		{`DELETE FROM refresh_tokens WHERE expires_at < ?`, t},
		{`DELETE FROM grant_access_tokens WHERE expires_at < ?`, t},
		{`DELETE FROM grants WHERE expires_at < ?`, t},
		{`DELETE FROM client_suspensions WHERE until_at < ?`, t},
		{`DELETE FROM usage_batches WHERE expires_at < ?`, t},
		{`UPDATE refresh_tokens SET successor = NULL WHERE successor IS NOT NULL AND rotated_at < ?`, now.Add(-store.MaxRefreshGrace).UnixMilli()},
	} {
		if _, err := s.db.ExecContext(ctx, q.sql, q.arg); err != nil {
			return fmt.Errorf("delete expired: %w", err)
		}
	}
	return nil
}

// Stats reports the connection pool: connections in use, idle, and the
// most it opens (0: no limit).
func (s *Store) Stats() (inUse, idle, max int) {
	st := s.db.Stats()
	return st.InUse, st.Idle, st.MaxOpenConnections
}
