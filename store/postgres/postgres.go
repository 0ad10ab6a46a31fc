// Package postgres is the store for several Portcullis instances sharing one
// PostgreSQL database, through github.com/jackc/pgx/v5. It owns its schema
// (embedded migrations that Open applies) and enforces every guarantee of
// store.Store that must hold across instances in the database itself:
// conditional updates and upserts for single use, a row lock on the grant
// when tokens are issued from it or it is revoked, a table lock when keys are
// updated, and an advisory lock that keeps the revocation cursor in commit
// order. Every lock wait, statement and idle transaction is bounded per
// connection (conn.go), so no instance can hold a lock for the others for
// long.
//
// The DSN is a pgx connection string, URL or key=value. A search_path
// parameter puts the tables in a schema other than the user's default;
// lock_timeout, statement_timeout, idle_in_transaction_session_timeout and
// connect_timeout override the defaults of conn.go.
package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/portcullis/portcullis/store"
)

// Store implements store.Store on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	// deadline bounds Ping, which sends no statement and so escapes
	// statementDeadline.
	deadline time.Duration
	versions versionReader
}

var _ store.Store = (*Store)(nil)

// Advisory lock classes: the first key of pg_advisory_xact_lock(int, int).
// The second key names the schema (migrations) or the table (revocations),
// so that deployments sharing one database in separate schemas never wait on
// one another.
const (
	lockMigrate     int32 = 0x50435301
	lockRevocations int32 = 0x50435302
)

// Open connects to the database at dsn and applies the embedded migrations.
// It fails with ErrSchemaTooNew if a newer Portcullis migrated the schema.
// Every connection gets the bounds in conn.go, so a database that does not
// answer makes Open fail after connect_timeout rather than hang.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := poolConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	s := &Store{pool: pool, deadline: cfg.ConnConfig.ConnectTimeout}
	// The pool connects lazily; connecting here first gives a database that
	// accepts connections but never answers an error of its own.
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: no answer from %s:%d within connect_timeout (%s): %w",
			cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.ConnectTimeout, err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return s, nil
}

// Ping implements store.Store. It is bounded by connect_timeout, like
// opening a connection, since it may have to open one.
func (s *Store) Ping(ctx context.Context) (err error) {
	defer fault(&err)
	ctx, cancel := context.WithTimeout(ctx, s.deadline)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// Close implements store.Store. It waits for connections in use to be
// returned to the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// CreateClient implements store.Store.
func (s *Store) CreateClient(ctx context.Context, c store.Client) (err error) {
	defer fault(&err)
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	tag, err := s.pool.Exec(ctx,
		`INSERT INTO clients (id, data, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
		c.ID, data, c.CreatedAt)
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrAlreadyExists
	}
	return nil
}

// GetClient implements store.Store.
func (s *Store) GetClient(ctx context.Context, id string) (_ store.Client, err error) {
	defer fault(&err)
	return getJSON[store.Client](ctx, s.pool, "get client", `SELECT data FROM clients WHERE id = $1`, id)
}

// ListClients implements store.Store.
func (s *Store) ListClients(ctx context.Context) (_ []store.Client, err error) {
	defer fault(&err)
	return listJSON[store.Client](ctx, s.pool, "list clients", `SELECT data FROM clients ORDER BY id`)
}

// UpdateClient implements store.Store. The client keeps its ID and
// CreatedAt whatever update does to them.
func (s *Store) UpdateClient(ctx context.Context, id string, update func(*store.Client) error) (err error) {
	defer fault(&err)
	return updateJSON(ctx, s.pool, "update client", `SELECT data FROM clients WHERE id = $1 FOR UPDATE`, `UPDATE clients SET data = $1 WHERE id = $2`, id,
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
func (s *Store) DeleteClient(ctx context.Context, c store.Cutoff, now time.Time, check func(store.Client) error) (err error) {
	defer fault(&err)
	if c.ClientID == "" || c.Subject != "" {
		return fmt.Errorf("delete client: %w", store.ErrCutoffTarget)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := deleteJSON(ctx, tx, "delete client", `DELETE FROM clients WHERE id = $1 RETURNING data`, c.ClientID, check); err != nil {
			return err
		}
		if _, err := revokeAll(ctx, tx, c, now); err != nil {
			return fmt.Errorf("delete client: %w", err)
		}
		return nil
	})
}

// ListKeys implements store.Store.
func (s *Store) ListKeys(ctx context.Context) (_ []store.Key, err error) {
	defer fault(&err)
	return listKeys(ctx, s.pool)
}

// querier is what a pool and a transaction have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func listKeys(ctx context.Context, q querier) ([]store.Key, error) {
	rows, _ := q.Query(ctx, `SELECT kid, alg, private_key, created_at, activates_at FROM signing_keys ORDER BY activates_at, created_at, kid`)
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Key, error) {
		var k store.Key
		err := row.Scan(&k.ID, &k.Alg, &k.Private, &k.CreatedAt, &k.ActivatesAt)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return keys, nil
}

// UpdateKeys implements store.Store.
func (s *Store) UpdateKeys(ctx context.Context, update func([]store.Key) ([]store.Key, error)) (err error) {
	defer fault(&err)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Row locks cannot stop two first starts that each find no key
		// and each insert one: there is no row to lock. EXCLUSIVE mode
		// conflicts with itself and with every writer but not with plain
		// SELECTs, so updaters take turns, each seeing what the previous
		// one committed, while running servers keep reading the current
		// set until the new one commits.
		if _, err := tx.Exec(ctx, `LOCK TABLE signing_keys IN EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("update keys: %w", err)
		}
		current, err := listKeys(ctx, tx)
		if err != nil {
			return err
		}
		next, err := update(current)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM signing_keys`); err != nil {
			return fmt.Errorf("update keys: %w", err)
		}
		var (
			kids, algs         = make([]string, len(next)), make([]string, len(next))
			privs              = make([][]byte, len(next))
			created, activates = make([]time.Time, len(next)), make([]time.Time, len(next))
		)
		for i, k := range next {
			kids[i], algs[i], privs[i], created[i], activates[i] = k.ID, k.Alg, k.Private, k.CreatedAt, k.ActivatesAt
		}
		if _, err := tx.Exec(ctx,
			`INSERT INTO signing_keys (kid, alg, private_key, created_at, activates_at)
			 SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::timestamptz[], $5::timestamptz[])`,
			kids, algs, privs, created, activates); err != nil {
			return fmt.Errorf("update keys: %w", err)
		}
		return nil
	})
}

// lockRevocationWriters makes writers of revocations take turns until their
// transactions end, which keeps the revocation cursor in commit order.
//
// seq comes from an identity sequence, and a sequence hands out values when
// rows are inserted, not when they commit: of two concurrent revocations,
// seq 8 may commit after seq 9, and a guard polling in between would move its
// cursor past 8 and never see it. Under this lock a writer takes its seq
// values and commits before the next writer takes any, and PostgreSQL
// releases a transaction's locks only once its commit is visible, so every
// snapshot sees a prefix of the seq order and a cursor passes nothing that
// could still appear.
//
// The price is that revocations are written one transaction at a time across
// all instances. They are rare (a /revoke call, a grant revoked) and each
// writer holds the lock for a statement and a commit. The alternative, listing
// only rows older than a commit-lag window, costs nothing on write but delays
// every revocation for every guard, and is still wrong for a transaction that
// stays open longer than the window, as RevokeGrant may while it waits for a
// grant's row lock. Readers (IsRevoked, ListRevocations) never take the lock.
//
// The lock is shared by every instance, so one whose connection stalls
// while holding it would stop revocations everywhere; the bounds of conn.go
// limit that. A waiter gives up after lock_timeout (the call fails with
// SQLSTATE 55P03 and may be retried), and the server ends the stalled
// holder's transaction after idle_in_transaction_session_timeout, releasing
// the lock; the holder's own call fails on its statement deadline. So a
// stalled instance blocks others' revocations for at most the idle timeout
// (10 s by default), never for the hours a vanished host could before.
//
// Doing without the lock would mean assigning the cursor by commit order at
// read time: recording each row's transaction ID (xid8, a schema change) and
// listing only rows of transactions older than the oldest still running
// (pg_snapshot_xmin). That trades a write lock for a read stall: any long
// transaction in the database, the stalled one included, would hold back
// every guard's cursor, and a row's sequence value may be taken before its
// transaction has an ID, which reopens the gap. The bounded lock keeps the
// cursor exact and its cost visible.
//
// Callers take it after any row lock they need, as their last lock, so that
// no cycle of waits can form with transactions holding a grant, and hold it
// only for one INSERT and the commit.
func lockRevocationWriters(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, 'revocations'::regclass::oid::int)`, lockRevocations)
	return err
}

// RevokeToken implements store.Store.
func (s *Store) RevokeToken(ctx context.Context, r store.Revocation) (err error) {
	defer fault(&err)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockRevocationWriters(ctx, tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx,
			`INSERT INTO revocations (jti, expires_at, revoked_at) VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING`,
			r.JTI, r.ExpiresAt, r.RevokedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// IsRevoked implements store.Store.
func (s *Store) IsRevoked(ctx context.Context, jti string) (_ bool, err error) {
	defer fault(&err)
	var revoked bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM revocations WHERE jti = $1)`, jti).Scan(&revoked); err != nil {
		return false, fmt.Errorf("is revoked: %w", err)
	}
	return revoked, nil
}

// ListRevocations implements store.Store. A negative limit means no limit,
// as it does on SQLite.
func (s *Store) ListRevocations(ctx context.Context, after int64, limit int) (_ []store.Revocation, err error) {
	defer fault(&err)
	var lim *int
	if limit >= 0 {
		lim = &limit
	}
	rows, _ := s.pool.Query(ctx,
		`SELECT seq, jti, expires_at, revoked_at FROM revocations WHERE seq > $1 ORDER BY seq LIMIT $2`, after, lim)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Revocation, error) {
		var r store.Revocation
		err := row.Scan(&r.Seq, &r.JTI, &r.ExpiresAt, &r.RevokedAt)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("list revocations: %w", err)
	}
	return out, nil
}

// UseOnce implements store.Store. The conditional upsert makes the check and
// the mark one statement: concurrent inserts of one key wait for the first,
// then take the DO UPDATE path, whose condition fails on its live mark.
func (s *Store) UseOnce(ctx context.Context, key string, expiresAt time.Time) (err error) {
	defer fault(&err)
	tag, err := s.pool.Exec(ctx,
		`INSERT INTO used_once (key, expires_at) VALUES ($1, $2)
		 ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE used_once.expires_at <= $3`,
		key, expiresAt, time.Now())
	if err != nil {
		return fmt.Errorf("use once: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrReplay
	}
	return nil
}

// DeleteExpired implements store.Store. Each statement commits on its own:
// nothing needs them together, and several instances collect at the same
// time, so holding the locks of one only as long as it runs keeps their
// collections from waiting on, or deadlocking with, one another.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (err error) {
	defer fault(&err)
	for _, q := range []struct {
		sql string
		arg time.Time
	}{
		{`DELETE FROM revocations WHERE expires_at < $1`, now},
		{`DELETE FROM cutoffs WHERE expires_at < $1`, now},
		{`DELETE FROM used_once WHERE expires_at < $1`, now},
		{`DELETE FROM auth_requests WHERE expires_at < $1`, now},
		{`DELETE FROM sessions WHERE expires_at < $1`, now},
		{`DELETE FROM auth_codes WHERE expires_at < $1`, now},
		{`DELETE FROM refresh_tokens WHERE expires_at < $1`, now},
		{`DELETE FROM grant_access_tokens WHERE expires_at < $1`, now},
		{`DELETE FROM grants WHERE expires_at < $1`, now},
		{`DELETE FROM client_suspensions WHERE until_at < $1`, now},
		{`DELETE FROM usage_batches WHERE expires_at < $1`, now},
		{`UPDATE refresh_tokens SET successor = NULL WHERE successor IS NOT NULL AND rotated_at < $1`, now.Add(-store.MaxRefreshGrace)},
	} {
		if _, err := s.pool.Exec(ctx, q.sql, q.arg); err != nil {
			return fmt.Errorf("delete expired: %w", err)
		}
	}
	return nil
}

// Stats reports the connection pool: connections in use, idle, and the
// most it opens.
func (s *Store) Stats() (inUse, idle, max int) {
	st := s.pool.Stat()
	return int(st.AcquiredConns()), int(st.IdleConns()), int(st.MaxConns())
}
