package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/portcullis/portcullis/store"
)

// CreateFactor implements store.Store.
func (s *Store) CreateFactor(ctx context.Context, f store.Factor) error {
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("create factor: %w", err)
	}
	_, err = s.db.ExecContext(ctx,
		`INSERT INTO factors (id, user_id, credential_id, data, created_at) VALUES (?, ?, ?, ?, ?)`,
		f.ID, f.UserID, credentialColumn(f.CredentialID), string(data), f.CreatedAt.UnixNano())
	if se, ok := errors.AsType[*msqlite.Error](err); ok && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return store.ErrAlreadyExists
	}
	if err != nil {
		return fmt.Errorf("create factor: %w", err)
	}
	return nil
}

// credentialColumn stores an empty credential ID as NULL, which the
// unique index lets every TOTP factor share.
func credentialColumn(id []byte) any {
	if len(id) == 0 {
		return nil
	}
	return id
}

// ListFactors implements store.Store.
func (s *Store) ListFactors(ctx context.Context, userID string) ([]store.Factor, error) {
	return listJSON[store.Factor](ctx, s.db, "list factors",
		`SELECT data FROM factors WHERE user_id = ? ORDER BY created_at, id`, userID)
}

// GetFactorByCredential implements store.Store.
func (s *Store) GetFactorByCredential(ctx context.Context, credentialID []byte) (store.Factor, error) {
	if len(credentialID) == 0 {
		return store.Factor{}, store.ErrNotFound
	}
	return getJSON[store.Factor](ctx, s.db, "get factor", `SELECT data FROM factors WHERE credential_id = ?`, credentialID)
}

// UpdateFactor implements store.Store. The store's transactions are
// immediate, so concurrent updates take turns.
func (s *Store) UpdateFactor(ctx context.Context, userID, id string, update func(*store.Factor) error) error {
	return updateJSON(ctx, s.db, "update factor", `SELECT data FROM factors WHERE id = ?`,
		`UPDATE factors SET data = ?1 WHERE id = ?2`, id,
		func(f *store.Factor) error {
			if f.UserID != userID {
				return store.ErrNotFound
			}
			if err := update(f); err != nil {
				return err
			}
			// What finds the row cannot change.
			f.ID, f.UserID = id, userID
			return nil
		})
}

// DeleteFactor implements store.Store. The immediate transaction holds
// the write lock from its start, so no other deletion of the user's
// factors runs between the remaining ones check sees and the commit.
func (s *Store) DeleteFactor(ctx context.Context, userID, id string, check func([]store.Factor) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete factor: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM factors WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return fmt.Errorf("delete factor: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	remaining, err := listJSON[store.Factor](ctx, tx, "delete factor",
		`SELECT data FROM factors WHERE user_id = ? ORDER BY created_at, id`, userID)
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(remaining); err != nil {
			return err
		}
	}
	// Recovery codes stand in for a factor: with none left they would
	// outlive what they recover, and a later first factor issues new ones.
	if len(remaining) == 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("delete factor: recovery codes: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete factor: %w", err)
	}
	return nil
}

// DeleteFactors implements store.Store.
func (s *Store) DeleteFactors(ctx context.Context, userID string) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("delete factors: %w", err)
	}
	defer tx.Rollback()
	n, err := deleteFactors(ctx, tx, userID)
	if err != nil {
		return 0, fmt.Errorf("delete factors: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("delete factors: %w", err)
	}
	return n, nil
}

// deleteFactors removes a user's factors and recovery codes inside tx, for
// DeleteFactors and DeleteUser.
func deleteFactors(ctx context.Context, tx *sql.Tx, userID string) (int, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM factors WHERE user_id = ?`, userID)
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ReplaceRecoveryCodes implements store.Store.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, now time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("replace recovery codes: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("replace recovery codes: %w", err)
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, hash) VALUES (?, ?) ON CONFLICT DO NOTHING`, userID, h); err != nil {
			return fmt.Errorf("replace recovery codes: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("replace recovery codes: %w", err)
	}
	return nil
}

// UseRecoveryCode implements store.Store: one conditional update, so of
// concurrent uses of a code exactly one changes the row.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, hash string, now time.Time) error {
	res, err := s.db.ExecContext(ctx,
		`UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND hash = ? AND used_at IS NULL`, now.Unix(), userID, hash)
	if err != nil {
		return fmt.Errorf("use recovery code: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// CountRecoveryCodes implements store.Store.
func (s *Store) CountRecoveryCodes(ctx context.Context, userID string) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return n, nil
}
