package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/portcullis/portcullis/store"
)

// RevokeAll implements store.Store.
func (s *Store) RevokeAll(ctx context.Context, c store.Cutoff, now time.Time) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("revoke all: %w", err)
	}
	defer tx.Rollback()
	n, err := revokeAll(ctx, tx, c, now)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("revoke all: %w", err)
	}
	return n, nil
}

// revokeAll records the cutoff and revokes what it names, inside tx: the
// grants, and the sessions of a user alone.
func revokeAll(ctx context.Context, tx *sql.Tx, c store.Cutoff, now time.Time) (int, error) {
	if c.ClientID == "" && c.Subject == "" {
		return 0, store.ErrCutoffTarget
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO cutoffs (client_id, subject, not_before, expires_at) VALUES (?, ?, ?, ?)`,
		c.ClientID, c.Subject, c.NotBefore.Unix(), c.ExpiresAt.Unix()); err != nil {
		return 0, fmt.Errorf("revoke all: %w", err)
	}
	if c.ClientID == "" {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, c.Subject); err != nil {
			return 0, fmt.Errorf("revoke all: %w", err)
		}
	}
	ids, err := grantIDs(ctx, tx,
		`SELECT id FROM grants WHERE revoked_at IS NULL AND (? = '' OR user_id = ?) AND (? = '' OR client_id = ?)`,
		c.Subject, c.Subject, c.ClientID, c.ClientID)
	if err != nil {
		return 0, fmt.Errorf("revoke all: %w", err)
	}
	for _, id := range ids {
		if err := revokeGrant(ctx, tx, id, now); err != nil {
			return 0, fmt.Errorf("revoke all: %w", err)
		}
	}
	return len(ids), nil
}

// grantIDs runs a query selecting grant IDs inside tx.
func grantIDs(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ListCutoffs implements store.Store.
func (s *Store) ListCutoffs(ctx context.Context, after int64, limit int) ([]store.Cutoff, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT seq, client_id, subject, not_before, expires_at FROM cutoffs WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list cutoffs: %w", err)
	}
	defer rows.Close()
	var out []store.Cutoff
	for rows.Next() {
		var c store.Cutoff
		var nb, exp int64
		if err := rows.Scan(&c.Seq, &c.ClientID, &c.Subject, &nb, &exp); err != nil {
			return nil, fmt.Errorf("list cutoffs: %w", err)
		}
		c.NotBefore, c.ExpiresAt = time.Unix(nb, 0), time.Unix(exp, 0)
		out = append(out, c)
	}
	return out, rows.Err()
}

// NotBefore implements store.Store. The three pairs a token can match are
// three lookups of the (client_id, subject) index.
func (s *Store) NotBefore(ctx context.Context, clientID, subject string) (time.Time, error) {
	var nb sql.NullInt64
	err := s.db.QueryRowContext(ctx,
		`SELECT MAX(not_before) FROM cutoffs WHERE (client_id, subject) IN (VALUES (?, ''), ('', ?), (?, ?))`,
		clientID, subject, clientID, subject).Scan(&nb)
	if err != nil {
		return time.Time{}, fmt.Errorf("not before: %w", err)
	}
	if !nb.Valid {
		return time.Time{}, nil
	}
	return time.Unix(nb.Int64, 0), nil
}

// RevokeSessionGrants implements store.Store.
func (s *Store) RevokeSessionGrants(ctx context.Context, sid string, now time.Time) (int, error) {
	if sid == "" {
		return 0, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("revoke session grants: %w", err)
	}
	defer tx.Rollback()
	ids, err := grantIDs(ctx, tx, `SELECT id FROM grants WHERE session_id = ? AND NOT offline AND revoked_at IS NULL`, sid)
	if err != nil {
		return 0, fmt.Errorf("revoke session grants: %w", err)
	}
	for _, id := range ids {
		if err := revokeGrant(ctx, tx, id, now); err != nil {
			return 0, fmt.Errorf("revoke session grants: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("revoke session grants: %w", err)
	}
	return len(ids), nil
}
