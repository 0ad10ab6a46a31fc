package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

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

func getUser(ctx context.Context, q rowQuerier, query, arg string) (store.User, error) {
	return getJSON[store.User](ctx, q, "get user", query, arg)
}

// ListUsers implements store.Store.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	return listJSON[store.User](ctx, s.db, "list users", `SELECT data FROM users ORDER BY username`)
}

// SearchUsers implements store.Store. SQLite's LIKE ignores the case of
// ASCII letters only; the pattern's wildcards are escaped, so the text
// matches literally.
func (s *Store) SearchUsers(ctx context.Context, q store.UserQuery) ([]store.User, error) {
	query := `SELECT data FROM users WHERE username > ?`
	args := []any{q.After}
	if q.Text != "" {
		query += ` AND (username LIKE ?2 ESCAPE '\' OR json_extract(data, '$.claims.email') LIKE ?2 ESCAPE '\')`
		args = append(args, store.ContainsPattern(q.Text))
	}
	return listJSON[store.User](ctx, s.db, "search users", query+` ORDER BY username LIMIT ?`, append(args, store.PageLimit(q.Limit))...)
}

// UpdateUser implements store.Store. The username column follows the
// document's; its unique constraint refuses a username another user has
// (ErrAlreadyExists), whoever committed it first.
func (s *Store) UpdateUser(ctx context.Context, id string, update func(*store.User) error) error {
	err := updateJSON(ctx, s.db, "update user", `SELECT data FROM users WHERE id = ?`,
		`UPDATE users SET data = ?1, username = json_extract(?1, '$.username') WHERE id = ?2`, id,
		func(u *store.User) error {
			if err := update(u); err != nil {
				return err
			}
			u.ID = id
			return nil
		})
	if se, ok := errors.AsType[*msqlite.Error](err); ok && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		// The ID cannot change, so the username is what is taken.
		return fmt.Errorf("update user: username: %w", store.ErrAlreadyExists)
	}
	return err
}

// DeleteUser implements store.Store.
func (s *Store) DeleteUser(ctx context.Context, c store.Cutoff, now time.Time, check func(store.User) error) error {
	if c.Subject == "" || c.ClientID != "" {
		return fmt.Errorf("delete user: %w", store.ErrCutoffTarget)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	defer tx.Rollback()
	if err := deleteJSON(ctx, tx, "delete user", `DELETE FROM users WHERE id = ? RETURNING data`, c.Subject, check); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM consents WHERE user_id = ?`, c.Subject); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if _, err := deleteFactors(ctx, tx, c.Subject); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if _, err := revokeAll(ctx, tx, c, now); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return tx.Commit()
}
