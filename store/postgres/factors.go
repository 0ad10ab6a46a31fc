package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/portcullis/portcullis/store"
)

// factorColumns are the columns scanFactor reads, in its order.
const factorColumns = `id, user_id, kind, name, credential_id, data, last_step, created_at, last_used_at`

// scanFactor reads one row of factorColumns.
func scanFactor(row pgx.Row) (store.Factor, error) {
	var f store.Factor
	var used *time.Time
	if err := row.Scan(&f.ID, &f.UserID, &f.Kind, &f.Name, &f.CredentialID, &f.Data, &f.LastStep, &f.CreatedAt, &used); err != nil {
		return store.Factor{}, err
	}
	if used != nil {
		f.LastUsedAt = *used
	}
	return f, nil
}

// nullBytes is b, or NULL when b is empty: the unique index on
// credential_id leaves NULLs out, where empty values would collide.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// nullTime is t, or NULL for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// CreateFactor implements store.Store. Without a conflict target, a taken
// ID and a taken credential ID both mean the factor exists.
func (s *Store) CreateFactor(ctx context.Context, f store.Factor) (err error) {
	defer fault(&err)
	tag, err := s.pool.Exec(ctx,
		`INSERT INTO factors (`+factorColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
		f.ID, f.UserID, f.Kind, f.Name, nullBytes(f.CredentialID), f.Data, f.LastStep, f.CreatedAt, nullTime(f.LastUsedAt))
	if err != nil {
		return fmt.Errorf("create factor: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrAlreadyExists
	}
	return nil
}

// ListFactors implements store.Store.
func (s *Store) ListFactors(ctx context.Context, userID string) (_ []store.Factor, err error) {
	defer fault(&err)
	out, err := listFactors(ctx, s.pool, userID, "")
	if err != nil {
		return nil, fmt.Errorf("list factors: %w", err)
	}
	return out, nil
}

// listFactors reads userID's factors, oldest first, with lock appended to
// the query ("FOR UPDATE" or nothing). The order is the lock order too,
// so two transactions locking one user's factors cannot deadlock.
func listFactors(ctx context.Context, q querier, userID, lock string) ([]store.Factor, error) {
	rows, _ := q.Query(ctx, `SELECT `+factorColumns+` FROM factors WHERE user_id = $1 ORDER BY created_at, seq `+lock, userID)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Factor, error) { return scanFactor(row) })
}

// GetFactorByCredential implements store.Store.
func (s *Store) GetFactorByCredential(ctx context.Context, credentialID []byte) (_ store.Factor, err error) {
	defer fault(&err)
	if len(credentialID) == 0 {
		return store.Factor{}, store.ErrNotFound
	}
	f, err := scanFactor(s.pool.QueryRow(ctx, `SELECT `+factorColumns+` FROM factors WHERE credential_id = $1`, credentialID))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Factor{}, store.ErrNotFound
	}
	if err != nil {
		return store.Factor{}, fmt.Errorf("get factor by credential: %w", err)
	}
	return f, nil
}

// UpdateFactor implements store.Store. The row is read FOR UPDATE:
// concurrent updates, from any instance, wait for the lock and then read
// the last one's LastStep, so a TOTP step is accepted once. update may
// change Name, Data, LastStep and LastUsedAt; what identifies the factor
// stays.
func (s *Store) UpdateFactor(ctx context.Context, userID, id string, update func(*store.Factor) error) (err error) {
	defer fault(&err)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		f, err := scanFactor(tx.QueryRow(ctx, `SELECT `+factorColumns+` FROM factors WHERE id = $1 AND user_id = $2 FOR UPDATE`, id, userID))
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("update factor: %w", err)
		}
		if err := update(&f); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE factors SET name = $1, data = $2, last_step = $3, last_used_at = $4 WHERE id = $5`,
			f.Name, f.Data, f.LastStep, nullTime(f.LastUsedAt), id); err != nil {
			return fmt.Errorf("update factor: %w", err)
		}
		return nil
	})
}

// DeleteFactor implements store.Store. It locks every factor of the user,
// in one order: a concurrent deletion waits for this one to commit, then
// (read committed re-reads a locked row) no longer finds the factor this
// one deleted, so its check sees what truly remains.
func (s *Store) DeleteFactor(ctx context.Context, userID, id string, check func([]store.Factor) error) (err error) {
	defer fault(&err)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		all, err := listFactors(ctx, tx, userID, "FOR UPDATE")
		if err != nil {
			return fmt.Errorf("delete factor: %w", err)
		}
		remaining, found := store.WithoutFactor(all, id)
		if !found {
			return store.ErrNotFound
		}
		if check != nil {
			if err := check(remaining); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM factors WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete factor: %w", err)
		}
		return nil
	})
}

// DeleteFactors implements store.Store.
func (s *Store) DeleteFactors(ctx context.Context, userID string) (n int, err error) {
	defer fault(&err)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		n, err = deleteFactors(ctx, tx, userID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete factors: %w", err)
	}
	return n, nil
}

// deleteFactors removes userID's factors and recovery codes inside tx (an
// administrator's reset, and a deleted user's) and returns how many
// factors there were.
func deleteFactors(ctx context.Context, tx pgx.Tx, userID string) (int, error) {
	tag, err := tx.Exec(ctx, `DELETE FROM factors WHERE user_id = $1`, userID)
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// ReplaceRecoveryCodes implements store.Store.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, now time.Time) (err error) {
	defer fault(&err)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx,
			`INSERT INTO recovery_codes (user_id, hash, created_at) SELECT $1, h, $3 FROM unnest($2::text[]) AS h ON CONFLICT DO NOTHING`,
			userID, hashes, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("replace recovery codes: %w", err)
	}
	return nil
}

// UseRecoveryCode implements store.Store. Concurrent uses of one code
// queue on its row lock; all but the first then find used_at set.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, hash string, now time.Time) (err error) {
	defer fault(&err)
	tag, err := s.pool.Exec(ctx,
		`UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND hash = $3 AND used_at IS NULL`, now, userID, hash)
	if err != nil {
		return fmt.Errorf("use recovery code: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// CountRecoveryCodes implements store.Store.
func (s *Store) CountRecoveryCodes(ctx context.Context, userID string) (n int, err error) {
	defer fault(&err)
	if err := s.pool.QueryRow(ctx,
		`SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return n, nil
}
