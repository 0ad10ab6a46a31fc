package postgres

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Probe implements store.Store. Each probe writes its own key, so that
// instances probing at once never wait on each other's row.
func (s *Store) Probe(ctx context.Context) (err error) {
	defer fault(&err)
	key := "portcullis:probe:" + rand.Text()
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO used_once (key, expires_at) VALUES ($1, now())`, key); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM used_once WHERE key = $1`, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	return nil
}
