package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/portcullis/portcullis/store"
)

// SuspendClient implements store.Store.
func (s *Store) SuspendClient(ctx context.Context, c store.Suspension) (err error) {
	defer fault(&err)
	_, err = s.pool.Exec(ctx,
		`INSERT INTO client_suspensions (client_id, until_at, reason, created_at) VALUES ($1, $2, $3, $4)
		 ON CONFLICT (client_id) DO UPDATE SET until_at = excluded.until_at, reason = excluded.reason, created_at = excluded.created_at`,
		c.ClientID, c.Until.Truncate(time.Second), c.Reason, c.CreatedAt.Truncate(time.Second))
	if err != nil {
		return fmt.Errorf("suspend client: %w", err)
	}
	return nil
}

// ExtendSuspension implements store.Store. The conditional upsert keeps
// a longer suspension; the read after it tells which one holds.
func (s *Store) ExtendSuspension(ctx context.Context, c store.Suspension) (until time.Time, err error) {
	defer fault(&err)
	_, err = s.pool.Exec(ctx,
		`INSERT INTO client_suspensions (client_id, until_at, reason, created_at) VALUES ($1, $2, $3, $4)
		 ON CONFLICT (client_id) DO UPDATE SET until_at = excluded.until_at, reason = excluded.reason, created_at = excluded.created_at
		 WHERE client_suspensions.until_at < excluded.until_at`,
		c.ClientID, c.Until.Truncate(time.Second), c.Reason, c.CreatedAt.Truncate(time.Second))
	if err == nil {
		err = s.pool.QueryRow(ctx, `SELECT until_at FROM client_suspensions WHERE client_id = $1`, c.ClientID).Scan(&until)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("extend suspension: %w", err)
	}
	return until, nil
}

// ResumeClient implements store.Store.
func (s *Store) ResumeClient(ctx context.Context, clientID string, now time.Time) (_ bool, err error) {
	defer fault(&err)
	var until time.Time
	err = s.pool.QueryRow(ctx, `DELETE FROM client_suspensions WHERE client_id = $1 RETURNING until_at`, clientID).Scan(&until)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("resume client: %w", err)
	}
	return until.After(now), nil
}

// ListSuspensions implements store.Store.
func (s *Store) ListSuspensions(ctx context.Context, now time.Time) (_ []store.Suspension, err error) {
	defer fault(&err)
	rows, _ := s.pool.Query(ctx,
		`SELECT client_id, until_at, reason, created_at FROM client_suspensions WHERE until_at > $1 ORDER BY client_id`, now)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Suspension, error) {
		var c store.Suspension
		err := row.Scan(&c.ClientID, &c.Until, &c.Reason, &c.CreatedAt)
		c.Until, c.CreatedAt = c.Until.UTC(), c.CreatedAt.UTC()
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list suspensions: %w", err)
	}
	return out, nil
}
