package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/portcullis/portcullis/store"
)

// AddUsage implements store.Store: the batch's ID is recorded first, and a
// batch recorded already adds nothing; the counts go in one statement,
// whose rows lock in the order given.
func (s *Store) AddUsage(ctx context.Context, batch string, counts []store.UsageCount) (err error) {
	defer fault(&err)
	n := len(counts)
	hours := make([]time.Time, n)
	cols := [5][]string{make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)}
	values := make([]int64, n)
	for i, c := range counts {
		hours[i] = c.Hour
		cols[0][i], cols[1][i], cols[2][i], cols[3][i], cols[4][i] = c.ClientID, c.API, c.Route, c.Metric, c.Detail
		values[i] = c.Count
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO usage_batches (id, expires_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`,
			batch, time.Now().Add(store.UsageBatchTTL))
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO usage_counts (hour, client_id, api, route, metric, detail, count)
			SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
			ON CONFLICT (hour, client_id, api, route, metric, detail) DO UPDATE SET count = usage_counts.count + excluded.count`,
			hours, cols[0], cols[1], cols[2], cols[3], cols[4], values)
		return err
	})
	if err != nil {
		return fmt.Errorf("add usage: %w", err)
	}
	return nil
}

// ListUsage implements store.Store. Periods start at multiples of their
// length since the epoch, as in SQLite.
func (s *Store) ListUsage(ctx context.Context, f store.UsageFilter) (_ []store.UsageCount, err error) {
	defer fault(&err)
	args := []any{f.UsagePeriod()}
	var where []string
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	for _, c := range []struct{ col, val string }{{"client_id", f.ClientID}, {"api", f.API}, {"route", f.Route}} {
		if c.val != "" {
			add(c.col+" = $%d", c.val)
		}
	}
	if !f.Since.IsZero() {
		add("hour >= $%d", f.Since)
	}
	if !f.Until.IsZero() {
		add("hour < $%d", f.Until)
	}
	q := `SELECT to_timestamp((floor(extract(epoch FROM hour) / $1) * $1)::double precision) AS period,
		client_id, api, route, metric, detail, sum(count)::bigint FROM usage_counts`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, f.UsageLimit())
	q += fmt.Sprintf(" GROUP BY period, client_id, api, route, metric, detail ORDER BY period, client_id, api, route, metric, detail LIMIT $%d", len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list usage: %w", err)
	}
	defer rows.Close()
	var out []store.UsageCount
	for rows.Next() {
		var c store.UsageCount
		if err := rows.Scan(&c.Hour, &c.ClientID, &c.API, &c.Route, &c.Metric, &c.Detail, &c.Count); err != nil {
			return nil, fmt.Errorf("list usage: %w", err)
		}
		c.Hour = c.Hour.UTC()
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
func (s *Store) DeleteUsageBefore(ctx context.Context, before time.Time) (_ int64, err error) {
	defer fault(&err)
	var total int64
	for {
		tag, err := s.pool.Exec(ctx,
			`DELETE FROM usage_counts WHERE ctid IN (SELECT ctid FROM usage_counts WHERE hour < $1 LIMIT $2)`,
			before, usageDeleteBatch)
		if err != nil {
			return total, fmt.Errorf("delete usage: %w", err)
		}
		n := tag.RowsAffected()
		total += n
		if n < usageDeleteBatch {
			return total, nil
		}
	}
}
