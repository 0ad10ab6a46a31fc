package sqlite

import (
	"context"
	"fmt"
)

// Secret implements store.Store. The upsert inserts or, when the name is
// taken, returns the stored value, in one statement: concurrent first
// starts agree without a read-then-write race.
func (s *Store) Secret(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	var v []byte
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO server_secrets (name, value) VALUES (?, ?)
		 ON CONFLICT (name) DO UPDATE SET value = server_secrets.value RETURNING value`,
		name, fresh).Scan(&v)
	if err != nil {
		return nil, fmt.Errorf("server secret %s: %w", name, err)
	}
	return v, nil
}
