package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/portcullis/portcullis/store"
)

// RevokeAll implements store.Store.
func (s *Store) RevokeAll(ctx context.Context, c store.Cutoff, now time.Time) (_ int, err error) {
	defer fault(&err)
	var n int
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		n, err = revokeAll(ctx, tx, c, now)
		return err
	})
	return n, err
}

// revokeAll records the cutoff and revokes what it names, inside tx: the
// grants, and the sessions of a user alone. Grants are locked in ID order,
// as every revoker of several grants does, so overlapping revocations wait
// instead of deadlocking; the cutoff is written last, under the revocation
// writers' lock, which keeps its seq in commit order as it does for
// revocations.
func revokeAll(ctx context.Context, tx pgx.Tx, c store.Cutoff, now time.Time) (int, error) {
	if c.ClientID == "" && c.Subject == "" {
		return 0, store.ErrCutoffTarget
	}
	if c.ClientID == "" {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, c.Subject); err != nil {
			return 0, fmt.Errorf("revoke all: %w", err)
		}
	}
	rows, _ := tx.Query(ctx,
		`SELECT id FROM grants WHERE revoked_at IS NULL AND ($1 = '' OR user_id = $1) AND ($2 = '' OR client_id = $2) ORDER BY id FOR UPDATE`,
		c.Subject, c.ClientID)
	grants, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("revoke all: %w", err)
	}
	if err := revokeGrants(ctx, tx, grants, now); err != nil {
		return 0, fmt.Errorf("revoke all: %w", err)
	}
	if err := lockRevocationWriters(ctx, tx); err != nil {
		return 0, fmt.Errorf("revoke all: %w", err)
	}
	if _, err := tx.Exec(ctx,
		`INSERT INTO cutoffs (client_id, subject, not_before, expires_at) VALUES ($1, $2, $3, $4)`,
		c.ClientID, c.Subject, c.NotBefore, c.ExpiresAt); err != nil {
		return 0, fmt.Errorf("revoke all: %w", err)
	}
	return len(grants), nil
}

// ListCutoffs implements store.Store. A negative limit means no limit, as
// it does on SQLite.
func (s *Store) ListCutoffs(ctx context.Context, after int64, limit int) (_ []store.Cutoff, err error) {
	defer fault(&err)
	var lim *int
	if limit >= 0 {
		lim = &limit
	}
	rows, _ := s.pool.Query(ctx,
		`SELECT seq, client_id, subject, not_before, expires_at FROM cutoffs WHERE seq > $1 ORDER BY seq LIMIT $2`, after, lim)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Cutoff, error) {
		var c store.Cutoff
		err := row.Scan(&c.Seq, &c.ClientID, &c.Subject, &c.NotBefore, &c.ExpiresAt)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list cutoffs: %w", err)
	}
	return out, nil
}

// NotBefore implements store.Store. The three pairs a token can match are
// three lookups of the (client_id, subject) index.
func (s *Store) NotBefore(ctx context.Context, clientID, subject string) (_ time.Time, err error) {
	defer fault(&err)
	var nb *time.Time
	err = s.pool.QueryRow(ctx,
		`SELECT MAX(not_before) FROM cutoffs WHERE (client_id, subject) IN (VALUES ($1::text, ''), ('', $2::text), ($1, $2))`,
		clientID, subject).Scan(&nb)
	if err != nil {
		return time.Time{}, fmt.Errorf("not before: %w", err)
	}
	if nb == nil {
		return time.Time{}, nil
	}
	return *nb, nil
}

// RevokeSessionGrants implements store.Store.
func (s *Store) RevokeSessionGrants(ctx context.Context, sid string, now time.Time) (_ int, err error) {
	defer fault(&err)
	if sid == "" {
		return 0, nil
	}
	var n int
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx,
			`SELECT id FROM grants WHERE session_id = $1 AND NOT offline AND revoked_at IS NULL ORDER BY id FOR UPDATE`, sid)
		grants, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		n = len(grants)
		return revokeGrants(ctx, tx, grants, now)
	})
	if err != nil {
		return 0, fmt.Errorf("revoke session grants: %w", err)
	}
	return n, nil
}
