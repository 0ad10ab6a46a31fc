package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/portcullis/portcullis/store"
)

// CreateAPI implements store.Store.
func (s *Store) CreateAPI(ctx context.Context, a store.API) (err error) {
	defer fault(&err)
	data, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("create api: %w", err)
	}
	tag, err := s.pool.Exec(ctx,
		`INSERT INTO apis (identifier, data, created_at) VALUES ($1, $2, $3) ON CONFLICT (identifier) DO NOTHING`,
		a.Identifier, data, a.CreatedAt)
	if err != nil {
		return fmt.Errorf("create api: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrAlreadyExists
	}
	return nil
}

// GetAPI implements store.Store.
func (s *Store) GetAPI(ctx context.Context, identifier string) (_ store.API, err error) {
	defer fault(&err)
	return getJSON[store.API](ctx, s.pool, "get api", `SELECT data FROM apis WHERE identifier = $1`, identifier)
}

// ListAPIs implements store.Store.
func (s *Store) ListAPIs(ctx context.Context) (_ []store.API, err error) {
	defer fault(&err)
	return listJSON[store.API](ctx, s.pool, "list apis", `SELECT data FROM apis ORDER BY identifier`)
}

// UpdateAPI implements store.Store. The API keeps its identifier and
// CreatedAt whatever update does to them.
func (s *Store) UpdateAPI(ctx context.Context, identifier string, update func(*store.API) error) (err error) {
	defer fault(&err)
	return updateJSON(ctx, s.pool, "update api", `SELECT data FROM apis WHERE identifier = $1 FOR UPDATE`, `UPDATE apis SET data = $1 WHERE identifier = $2`, identifier,
		func(a *store.API) error {
			created := a.CreatedAt
			if err := update(a); err != nil {
				return err
			}
			a.Identifier, a.CreatedAt = identifier, created
			return nil
		})
}

// DeleteAPI implements store.Store.
func (s *Store) DeleteAPI(ctx context.Context, identifier string, check func(store.API) error) (err error) {
	defer fault(&err)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return deleteJSON(ctx, tx, "delete api", `DELETE FROM apis WHERE identifier = $1 RETURNING data`, identifier, check)
	})
}
