package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/portcullis/portcullis/store"
)

// CreateAPI implements store.Store.
func (s *Store) CreateAPI(ctx context.Context, a store.API) error {
	data, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("create api: %w", err)
	}
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO apis (identifier, data, created_at) VALUES (?, ?, ?) ON CONFLICT (identifier) DO NOTHING`,
		a.Identifier, string(data), a.CreatedAt.Unix())
	if err != nil {
		return fmt.Errorf("create api: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrAlreadyExists
	}
	return nil
}

// GetAPI implements store.Store.
func (s *Store) GetAPI(ctx context.Context, identifier string) (store.API, error) {
	return getJSON[store.API](ctx, s.db, "get api", `SELECT data FROM apis WHERE identifier = ?`, identifier)
}

// ListAPIs implements store.Store.
func (s *Store) ListAPIs(ctx context.Context) ([]store.API, error) {
	return listJSON[store.API](ctx, s.db, "list apis", `SELECT data FROM apis ORDER BY identifier`)
}

// UpdateAPI implements store.Store. The API keeps its identifier and
// CreatedAt whatever update does to them.
func (s *Store) UpdateAPI(ctx context.Context, identifier string, update func(*store.API) error) error {
	return updateJSON(ctx, s.db, "update api", `SELECT data FROM apis WHERE identifier = ?`, `UPDATE apis SET data = ? WHERE identifier = ?`, identifier,
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
func (s *Store) DeleteAPI(ctx context.Context, identifier string, check func(store.API) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete api: %w", err)
	}
	defer tx.Rollback()
	if err := deleteJSON(ctx, tx, "delete api", `DELETE FROM apis WHERE identifier = ? RETURNING data`, identifier, check); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete api: %w", err)
	}
	return nil
}
