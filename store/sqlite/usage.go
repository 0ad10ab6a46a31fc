package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/portcullis/portcullis/store"
)

// AddUsage implements store.Store: the batch's ID is recorded first, and a
// batch recorded already adds nothing.
func (s *Store) AddUsage(ctx context.Context, batch string, counts []store.UsageCount) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add usage: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO usage_batches (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`,
		batch, time.Now().Add(store.UsageBatchTTL).Unix())
	if err != nil {
		return fmt.Errorf("add usage: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO usage_counts (hour, client_id, api, route, metric, detail, count) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (hour, client_id, api, route, metric, detail) DO UPDATE SET count = count + excluded.count`)
	if err != nil {
		return fmt.Errorf("add usage: %w", err)
	}
	defer stmt.Close()
	for _, c := range counts {
		if _, err := stmt.ExecContext(ctx, c.Hour.Unix(), c.ClientID, c.API, c.Route, c.Metric, c.Detail, c.Count); err != nil {
			return fmt.Errorf("add usage: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add usage: %w", err)
	}
	return nil
}

// ListUsage implements store.Store.
func (s *Store) ListUsage(ctx context.Context, f store.UsageFilter) ([]store.UsageCount, error) {
	args := []any{f.UsagePeriod(), f.UsagePeriod()}
	var where []string
	for _, c := range []struct{ col, val string }{{"client_id", f.ClientID}, {"api", f.API}, {"route", f.Route}} {
		if c.val != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	if !f.Since.IsZero() {
		where = append(where, "hour >= ?")
		args = append(args, f.Since.Unix())
	}
	if !f.Until.IsZero() {
		where = append(where, "hour < ?")
		args = append(args, f.Until.Unix())
	}
	// Integer division: hours before the epoch do not occur.
	q := `SELECT (hour / ?) * ? AS period, client_id, api, route, metric, detail, SUM(count) FROM usage_counts`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " GROUP BY period, client_id, api, route, metric, detail ORDER BY period, client_id, api, route, metric, detail LIMIT ?"
	rows, err := s.db.QueryContext(ctx, q, append(args, f.UsageLimit())...)
	if err != nil {
		return nil, fmt.Errorf("list usage: %w", err)
	}
	defer rows.Close()
	var out []store.UsageCount
	for rows.Next() {
		var c store.UsageCount
		var period int64
		if err := rows.Scan(&period, &c.ClientID, &c.API, &c.Route, &c.Metric, &c.Detail, &c.Count); err != nil {
			return nil, fmt.Errorf("list usage: %w", err)
		}
		c.Hour = time.Unix(period, 0).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list usage: %w", err)
	}
	return out, nil
}

// usageDeleteBatch is how many rows one statement of DeleteUsageBefore
// deletes.
const usageDeleteBatch = 5000

// DeleteUsageBefore implements store.Store.
func (s *Store) DeleteUsageBefore(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.db.ExecContext(ctx,
			`DELETE FROM usage_counts WHERE rowid IN (SELECT rowid FROM usage_counts WHERE hour < ? LIMIT ?)`,
			before.Unix(), usageDeleteBatch)
		if err != nil {
			return total, fmt.Errorf("delete usage: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < usageDeleteBatch {
			return total, nil
		}
	}
}
