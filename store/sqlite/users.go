package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/portcullis/portcullis/store"
)

// CreateUser implements store.Store.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	data, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO users (id, username, data, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		u.ID, u.Username, string(data), u.CreatedAt.Unix())
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrAlreadyExists
	}
	return nil
}

// GetUser implements store.Store.
func (s *Store) GetUser(ctx context.Context, id string) (store.User, error) {
	return getUser(ctx, s.db, `SELECT data FROM users WHERE id = ?`, id)
}

// GetUserByUsername implements store.Store.
func (s *Store) GetUserByUsername(ctx context.Context, username string) (store.User, error) {
	return getUser(ctx, s.db, `SELECT data FROM users WHERE username = ?`, username)
}

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getUser(ctx context.Context, q rowQuerier, query, arg string) (store.User, error) {
	return getJSON[store.User](ctx, q, "get user", query, arg)
}

// getJSON reads the JSON document of the one row query selects, or
// store.ErrNotFound; what names the operation in errors.
func getJSON[T any](ctx context.Context, q rowQuerier, what, query string, args ...any) (T, error) {
	var v T
	var data string
	err := q.QueryRowContext(ctx, query, args...).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return v, store.ErrNotFound
	}
	if err == nil {
		err = json.Unmarshal([]byte(data), &v)
	}
	if err != nil {
		return v, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// ListUsers implements store.Store.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT data FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		var data string
		var u store.User
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		if err := json.Unmarshal([]byte(data), &u); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UpdateUser implements store.Store.
func (s *Store) UpdateUser(ctx context.Context, id string, update func(*store.User) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	defer tx.Rollback()
	u, err := getUser(ctx, tx, `SELECT data FROM users WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if err := update(&u); err != nil {
		return err
	}
	u.ID = id
	data, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET username = ?, data = ? WHERE id = ?`, u.Username, string(data), id); err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	return tx.Commit()
}

// DeleteUser implements store.Store.
func (s *Store) DeleteUser(ctx context.Context, c store.Cutoff, now time.Time) error {
	if c.Subject == "" || c.ClientID != "" {
		return fmt.Errorf("delete user: %w", store.ErrCutoffTarget)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, c.Subject)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM consents WHERE user_id = ?`, c.Subject); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if _, err := revokeAll(ctx, tx, c, now); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return tx.Commit()
}
