package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/portcullis/portcullis/store"
)

// Probe implements store.Store. Each probe writes its own key, so that
// instances probing at once never wait on each other's row.
func (s *Store) Probe(ctx context.Context) error {
	key := "portcullis:probe:" + rand.Text()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO used_once (key, expires_at) VALUES ($1, now())`, key); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM used_once WHERE key = $1`, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("probe: %w", classify(err))
	}
	return nil
}

// classify turns PostgreSQL's refusals for its state into a
// *store.WriteFault: disk_full (53100), read_only_sql_transaction (25006,
// a standby or default_transaction_read_only) and lock_not_available
// (55P03, lock_timeout).
func classify(err error) error {
	pe, ok := errors.AsType[*pgconn.PgError](err)
	if !ok {
		return err
	}
	switch pe.Code {
	case "53100":
		return &store.WriteFault{Cause: store.CauseDiskFull, Err: err}
	case "25006":
		return &store.WriteFault{Cause: store.CauseReadOnly, Err: err}
	case "55P03":
		return &store.WriteFault{Cause: store.CauseLockTimeout, Err: err}
	}
	return err
}
