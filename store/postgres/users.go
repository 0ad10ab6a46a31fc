package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/portcullis/portcullis/store"
)

// CreateUser implements store.Store.
func (s *Store) CreateUser(ctx context.Context, u store.User) (err error) {
	defer fault(&err)
	data, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	// No conflict target: a taken ID and a taken username both mean the
	// user exists.
	tag, err := s.pool.Exec(ctx,
		`INSERT INTO users (id, username, data, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		u.ID, u.Username, data, u.CreatedAt)
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrAlreadyExists
	}
	return nil
}

// GetUser implements store.Store.
func (s *Store) GetUser(ctx context.Context, id string) (_ store.User, err error) {
	defer fault(&err)
	return getUser(ctx, s.pool, `SELECT data FROM users WHERE id = $1`, id)
}

// GetUserByUsername implements store.Store.
func (s *Store) GetUserByUsername(ctx context.Context, username string) (_ store.User, err error) {
	defer fault(&err)
	return getUser(ctx, s.pool, `SELECT data FROM users WHERE username = $1`, username)
}

func getUser(ctx context.Context, q querier, query, arg string) (store.User, error) {
	return getJSON[store.User](ctx, q, "get user", query, arg)
}

// ListUsers implements store.Store.
func (s *Store) ListUsers(ctx context.Context) (_ []store.User, err error) {
	defer fault(&err)
	return listJSON[store.User](ctx, s.pool, "list users", `SELECT data FROM users ORDER BY username`)
}

// SearchUsers implements store.Store. ILIKE ignores case as the
// database's locale folds it (ASCII letters at least); the pattern's
// wildcards are escaped, so the text matches literally.
func (s *Store) SearchUsers(ctx context.Context, q store.UserQuery) (_ []store.User, err error) {
	defer fault(&err)
	query := `SELECT data FROM users WHERE username > $1`
	args := []any{q.After}
	if q.Text != "" {
		query += ` AND (username ILIKE $2 ESCAPE '\' OR data->'claims'->>'email' ILIKE $2 ESCAPE '\')`
		args = append(args, store.ContainsPattern(q.Text))
	}
	args = append(args, store.PageLimit(q.Limit))
	return listJSON[store.User](ctx, s.pool, "search users", query+fmt.Sprintf(` ORDER BY username LIMIT $%d`, len(args)), args...)
}

// UpdateUser implements store.Store. The row is read FOR UPDATE: without the
// lock, two concurrent updates (a password change and a login counter, say)
// would both start from the same user and the second to commit would undo
// the first. The username column follows the document's; its unique
// constraint refuses a username another user has (ErrAlreadyExists),
// whoever committed it first.
func (s *Store) UpdateUser(ctx context.Context, id string, update func(*store.User) error) (err error) {
	defer fault(&err)
	err = updateJSON(ctx, s.pool, "update user", `SELECT data FROM users WHERE id = $1 FOR UPDATE`,
		`UPDATE users SET data = $1, username = $1::json->>'username' WHERE id = $2`, id,
		func(u *store.User) error {
			if err := update(u); err != nil {
				return err
			}
			u.ID = id
			return nil
		})
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == uniqueViolation {
		// The ID cannot change, so the username is what is taken.
		return fmt.Errorf("update user: username: %w", store.ErrAlreadyExists)
	}
	return err
}

// uniqueViolation is PostgreSQL's unique_violation error code.
const uniqueViolation = "23505"

// DeleteUser implements store.Store.
func (s *Store) DeleteUser(ctx context.Context, c store.Cutoff, now time.Time, check func(store.User) error) (err error) {
	defer fault(&err)
	if c.Subject == "" || c.ClientID != "" {
		return fmt.Errorf("delete user: %w", store.ErrCutoffTarget)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := deleteJSON(ctx, tx, "delete user", `DELETE FROM users WHERE id = $1 RETURNING data`, c.Subject, check); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM consents WHERE user_id = $1`, c.Subject); err != nil {
			return fmt.Errorf("delete user: %w", err)
		}
		if _, err := deleteFactors(ctx, tx, c.Subject); err != nil {
			return fmt.Errorf("delete user: %w", err)
		}
		if _, err := revokeAll(ctx, tx, c, now); err != nil {
			return fmt.Errorf("delete user: %w", err)
		}
		return nil
	})
}
