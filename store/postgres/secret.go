package postgres

import (
	"context"
	"fmt"
)

// Secret implements store.Store. The upsert inserts or, when the name is
// taken, returns the stored value, in one statement: a concurrent insert
// of one name waits for the first and then takes the DO UPDATE path, so
// every instance starting at once gets the same value.
func (s *Store) Secret(ctx context.Context, name string, fresh []byte) (_ []byte, err error) {
	defer fault(&err)
	var v []byte
	err = s.pool.QueryRow(ctx,
		`INSERT INTO server_secrets (name, value) VALUES ($1, $2)
		 ON CONFLICT (name) DO UPDATE SET value = server_secrets.value RETURNING value`,
		name, fresh).Scan(&v)
	if err != nil {
		return nil, fmt.Errorf("server secret %s: %w", name, err)
	}
	return v, nil
}
