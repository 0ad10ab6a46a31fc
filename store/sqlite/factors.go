package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/portcullis/portcullis/store"
)

// factorColumns are the columns scanFactor reads, in its order.
const factorColumns = `id, user_id, kind, name, credential_id, data, last_step, created_at, last_used_at`

// scanFactor reads one row of factorColumns.
func scanFactor(row interface{ Scan(...any) error }) (store.Factor, error) {
	var f store.Factor
	var created int64
	var used sql.NullInt64
	if err := row.Scan(&f.ID, &f.UserID, &f.Kind, &f.Name, &f.CredentialID, &f.Data, &f.LastStep, &created, &used); err != nil {
		return store.Factor{}, err
	}
	f.CreatedAt = time.UnixMicro(created)
	if used.Valid {
		f.LastUsedAt = time.UnixMicro(used.Int64)
	}
	return f, nil
}

// nullBytes is b, or NULL when b is empty: the unique index on
// credential_id leaves NULLs out, where empty blobs would collide.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// nullMicro is t in microseconds, or NULL for the zero time.
func nullMicro(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// CreateFactor implements store.Store. Without a conflict target, a taken
// ID and a taken credential ID both mean the factor exists.
func (s *Store) CreateFactor(ctx context.Context, f store.Factor) error {
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO factors (`+factorColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		f.ID, f.UserID, f.Kind, f.Name, nullBytes(f.CredentialID), f.Data, f.LastStep, f.CreatedAt.UnixMicro(), nullMicro(f.LastUsedAt))
	if err != nil {
		return fmt.Errorf("create factor: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrAlreadyExists
	}
	return nil
}

// ListFactors implements store.Store.
func (s *Store) ListFactors(ctx context.Context, userID string) ([]store.Factor, error) {
	out, err := listFactors(ctx, s.db, userID)
	if err != nil {
		return nil, fmt.Errorf("list factors: %w", err)
	}
	return out, nil
}

// listFactors reads userID's factors, oldest first (rowid orders those
// enrolled in the same microsecond).
func listFactors(ctx context.Context, q querier, userID string) ([]store.Factor, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+factorColumns+` FROM factors WHERE user_id = ? ORDER BY created_at, rowid`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Factor
	for rows.Next() {
		f, err := scanFactor(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// GetFactorByCredential implements store.Store.
func (s *Store) GetFactorByCredential(ctx context.Context, credentialID []byte) (store.Factor, error) {
	if len(credentialID) == 0 {
		return store.Factor{}, store.ErrNotFound
	}
	f, err := scanFactor(s.db.QueryRowContext(ctx, `SELECT `+factorColumns+` FROM factors WHERE credential_id = ?`, credentialID))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Factor{}, store.ErrNotFound
	}
	if err != nil {
		return store.Factor{}, fmt.Errorf("get factor by credential: %w", err)
	}
	return f, nil
}

// UpdateFactor implements store.Store. The transaction is immediate: it
// holds the write lock from BEGIN, so concurrent updates take turns and
// each sees the last one's LastStep. update may change Name, Data,
// LastStep and LastUsedAt; what identifies the factor stays.
func (s *Store) UpdateFactor(ctx context.Context, userID, id string, update func(*store.Factor) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update factor: %w", err)
	}
	defer tx.Rollback()
	f, err := scanFactor(tx.QueryRowContext(ctx, `SELECT `+factorColumns+` FROM factors WHERE id = ? AND user_id = ?`, id, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("update factor: %w", err)
	}
	if err := update(&f); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE factors SET name = ?, data = ?, last_step = ?, last_used_at = ? WHERE id = ?`,
		f.Name, f.Data, f.LastStep, nullMicro(f.LastUsedAt), id); err != nil {
		return fmt.Errorf("update factor: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("update factor: %w", err)
	}
	return nil
}

// DeleteFactor implements store.Store. The immediate transaction holds
// the write lock from BEGIN, which serializes it with every other
// deletion: check sees the factors as the last one left them.
func (s *Store) DeleteFactor(ctx context.Context, userID, id string, check func([]store.Factor) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete factor: %w", err)
	}
	defer tx.Rollback()
	all, err := listFactors(ctx, tx, userID)
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
	if _, err := tx.ExecContext(ctx, `DELETE FROM factors WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete factor: %w", err)
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

// deleteFactors removes userID's factors and recovery codes inside tx (an
// administrator's reset, and a deleted user's) and returns how many
// factors there were.
func deleteFactors(ctx context.Context, tx *sql.Tx, userID string) (int, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM factors WHERE user_id = ?`, userID)
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
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
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO recovery_codes (user_id, hash, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			userID, h, now.UnixMicro()); err != nil {
			return fmt.Errorf("replace recovery codes: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("replace recovery codes: %w", err)
	}
	return nil
}

// UseRecoveryCode implements store.Store.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, hash string, now time.Time) error {
	res, err := s.db.ExecContext(ctx,
		`UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND hash = ? AND used_at IS NULL`, now.UnixMicro(), userID, hash)
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
	if err := s.db.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return n, nil
}
