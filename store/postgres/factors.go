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

// CreateFactor implements store.Store.
func (s *Store) CreateFactor(ctx context.Context, f store.Factor) (err error) {
	defer fault(&err)
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("create factor: %w", err)
	}
	var credential []byte
	if len(f.CredentialID) > 0 {
		credential = f.CredentialID
	}
	_, err = s.pool.Exec(ctx,
		`INSERT INTO factors (id, user_id, credential_id, data, created_at) VALUES ($1, $2, $3, $4, $5)`,
		f.ID, f.UserID, credential, data, f.CreatedAt)
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == "23505" {
		return store.ErrAlreadyExists
	}
	if err != nil {
		return fmt.Errorf("create factor: %w", err)
	}
	return nil
}

// ListFactors implements store.Store.
func (s *Store) ListFactors(ctx context.Context, userID string) (_ []store.Factor, err error) {
	defer fault(&err)
	return listJSON[store.Factor](ctx, s.pool, "list factors",
		`SELECT data FROM factors WHERE user_id = $1 ORDER BY created_at, id`, userID)
}

// GetFactorByCredential implements store.Store.
func (s *Store) GetFactorByCredential(ctx context.Context, credentialID []byte) (_ store.Factor, err error) {
	defer fault(&err)
	if len(credentialID) == 0 {
		return store.Factor{}, store.ErrNotFound
	}
	return getJSON[store.Factor](ctx, s.pool, "get factor", `SELECT data FROM factors WHERE credential_id = $1`, credentialID)
}

// UpdateFactor implements store.Store. The row is locked (FOR UPDATE), so
// concurrent updates from any instance take turns.
func (s *Store) UpdateFactor(ctx context.Context, userID, id string, update func(*store.Factor) error) (err error) {
	defer fault(&err)
	return updateJSON(ctx, s.pool, "update factor", `SELECT data FROM factors WHERE id = $1 FOR UPDATE`,
		`UPDATE factors SET data = $1 WHERE id = $2`, id,
		func(f *store.Factor) error {
			if f.UserID != userID {
				return store.ErrNotFound
			}
			if err := update(f); err != nil {
				return err
			}
			f.ID, f.UserID = id, userID
			return nil
		})
}

// DeleteFactor implements store.Store. Every deletion of a user's factors
// first locks all of them, so two deletions take turns and the second's
// check sees what the first left.
func (s *Store) DeleteFactor(ctx context.Context, userID, id string, check func([]store.Factor) error) (err error) {
	defer fault(&err)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		all, err := listJSON[store.Factor](ctx, tx, "delete factor",
			`SELECT data FROM factors WHERE user_id = $1 ORDER BY created_at, id FOR UPDATE`, userID)
		if err != nil {
			return err
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
		if _, err := tx.Exec(ctx, `DELETE FROM factors WHERE id = $1 AND user_id = $2`, id, userID); err != nil {
			return fmt.Errorf("delete factor: %w", err)
		}
		// Recovery codes stand in for a factor: with none left they would
		// outlive what they recover, and a later first factor issues new ones.
		if len(remaining) == 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
				return fmt.Errorf("delete factor: recovery codes: %w", err)
			}
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

// deleteFactors removes a user's factors and recovery codes inside tx, for
// DeleteFactors and DeleteUser.
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
		_, err := tx.Exec(ctx, `INSERT INTO recovery_codes (user_id, hash) SELECT $1, h FROM unnest($2::text[]) AS h ON CONFLICT DO NOTHING`, userID, hashes)
		return err
	})
	if err != nil {
		return fmt.Errorf("replace recovery codes: %w", err)
	}
	return nil
}

// UseRecoveryCode implements store.Store: one conditional update, so of
// concurrent uses of a code exactly one changes the row.
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
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return n, nil
}
