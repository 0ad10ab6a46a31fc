package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/portcullis/portcullis/store"
)

// SuspendClient implements store.Store.
func (s *Store) SuspendClient(ctx context.Context, c store.Suspension) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO client_suspensions (client_id, until_at, reason, created_at) VALUES (?, ?, ?, ?)
		 ON CONFLICT (client_id) DO UPDATE SET until_at = excluded.until_at, reason = excluded.reason, created_at = excluded.created_at`,
		c.ClientID, c.Until.Unix(), c.Reason, c.CreatedAt.Unix())
	if err != nil {
		return fmt.Errorf("suspend client: %w", err)
	}
	return nil
}

// ExtendSuspension implements store.Store. The conditional upsert keeps
// a longer suspension; the read after it tells which one holds.
func (s *Store) ExtendSuspension(ctx context.Context, c store.Suspension) (time.Time, error) {
	var until int64
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO client_suspensions (client_id, until_at, reason, created_at) VALUES (?, ?, ?, ?)
		 ON CONFLICT (client_id) DO UPDATE SET until_at = excluded.until_at, reason = excluded.reason, created_at = excluded.created_at
		 WHERE client_suspensions.until_at < excluded.until_at`,
		c.ClientID, c.Until.Unix(), c.Reason, c.CreatedAt.Unix())
	if err == nil {
		err = s.db.QueryRowContext(ctx, `SELECT until_at FROM client_suspensions WHERE client_id = ?`, c.ClientID).Scan(&until)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("extend suspension: %w", err)
	}
	return time.Unix(until, 0), nil
}

// ResumeClient implements store.Store.
func (s *Store) ResumeClient(ctx context.Context, clientID string, now time.Time) (bool, error) {
	var until int64
	err := s.db.QueryRowContext(ctx, `DELETE FROM client_suspensions WHERE client_id = ? RETURNING until_at`, clientID).Scan(&until)
	if err == nil {
		return until > now.Unix(), nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return false, fmt.Errorf("resume client: %w", err)
}

// ListSuspensions implements store.Store.
func (s *Store) ListSuspensions(ctx context.Context, now time.Time) ([]store.Suspension, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT client_id, until_at, reason, created_at FROM client_suspensions WHERE until_at > ? ORDER BY client_id`, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("list suspensions: %w", err)
	}
	defer rows.Close()
	var out []store.Suspension
	for rows.Next() {
		var c store.Suspension
		var until, created int64
		if err := rows.Scan(&c.ClientID, &until, &c.Reason, &created); err != nil {
			return nil, fmt.Errorf("list suspensions: %w", err)
		}
		c.Until, c.CreatedAt = time.Unix(until, 0).UTC(), time.Unix(created, 0).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list suspensions: %w", err)
	}
	return out, nil
}
