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

// CreateAuthCode implements store.Store.
func (s *Store) CreateAuthCode(ctx context.Context, c store.AuthCode) error {
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("create code: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO auth_codes (hash, data, dpop_jkt, expires_at) VALUES (?, ?, ?, ?)`,
		c.Hash, string(data), c.DPoPJKT, c.ExpiresAt.Unix()); err != nil {
		return fmt.Errorf("create code: %w", err)
	}
	return nil
}

// GetAuthCode implements store.Store.
func (s *Store) GetAuthCode(ctx context.Context, hash string, now time.Time) (store.AuthCode, bool, error) {
	var data, jkt string
	var used sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT data, dpop_jkt, used_at FROM auth_codes WHERE hash = ? AND expires_at > ?`, hash, now.Unix()).
		Scan(&data, &jkt, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return store.AuthCode{}, false, store.ErrNotFound
	}
	if err != nil {
		return store.AuthCode{}, false, fmt.Errorf("get code: %w", err)
	}
	var c store.AuthCode
	if err := json.Unmarshal([]byte(data), &c); err != nil {
		return store.AuthCode{}, false, fmt.Errorf("get code: %w", err)
	}
	c.Hash, c.DPoPJKT = hash, jkt
	return c, used.Valid, nil
}

// ExchangeAuthCode implements store.Store. The conditional update decides
// which of concurrent exchanges wins.
func (s *Store) ExchangeAuthCode(ctx context.Context, hash string, now time.Time, jti string, jtiExp time.Time, rt *store.RefreshToken) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("exchange code: %w", err)
	}
	defer tx.Rollback()
	var data string
	err = tx.QueryRowContext(ctx,
		`UPDATE auth_codes SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ? RETURNING data`,
		now.Unix(), hash, now.Unix()).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		var used sql.NullInt64
		err = tx.QueryRowContext(ctx, `SELECT used_at FROM auth_codes WHERE hash = ? AND expires_at > ?`, hash, now.Unix()).Scan(&used)
		if err == nil && used.Valid {
			return store.ErrReplay
		}
		if err == nil || errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("exchange code: %w", err)
	}
	var c store.AuthCode
	if err := json.Unmarshal([]byte(data), &c); err != nil {
		return fmt.Errorf("exchange code: %w", err)
	}
	if err := issue(ctx, tx, c.GrantID, jti, jtiExp, rt); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("exchange code: %w", err)
	}
	return nil
}

func insertRefreshToken(ctx context.Context, tx *sql.Tx, t store.RefreshToken) error {
	data, err := json.Marshal(t)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO refresh_tokens (hash, grant_id, user_id, client_id, data, jkt, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.Hash, t.GrantID, t.UserID, t.ClientID, string(data), t.JKT, t.ExpiresAt.Unix())
	return err
}

// CreateGrant implements store.Store.
func (s *Store) CreateGrant(ctx context.Context, g store.Grant) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO grants (id, user_id, client_id, session_id, offline, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		g.ID, g.UserID, g.ClientID, g.SessionID, g.Offline, g.CreatedAt.Unix(), g.ExpiresAt.Unix()); err != nil {
		return fmt.Errorf("create grant: %w", err)
	}
	return nil
}

// liveGrant fails with ErrRevoked unless the grant exists, is not revoked
// and no cutoff covers it (one created later than the grant, for its
// client, its user or both). Inside an immediate transaction it holds the
// write lock, so a concurrent RevokeGrant or RevokeAll runs wholly before
// or after the caller.
func liveGrant(ctx context.Context, tx *sql.Tx, grantID string) error {
	var revoked, notBefore sql.NullInt64
	var created int64
	err := tx.QueryRowContext(ctx, `SELECT g.revoked_at, g.created_at,
		(SELECT MAX(c.not_before) FROM cutoffs c WHERE (c.client_id, c.subject) IN (VALUES (g.client_id, ''), ('', g.user_id), (g.client_id, g.user_id)))
		FROM grants g WHERE g.id = ?`, grantID).Scan(&revoked, &created, &notBefore)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (revoked.Valid || (notBefore.Valid && created < notBefore.Int64))) {
		return store.ErrRevoked
	}
	return err
}

func recordAccessToken(ctx context.Context, tx *sql.Tx, grantID, jti string, exp time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO grant_access_tokens (grant_id, jti, expires_at) VALUES (?, ?, ?)`, grantID, jti, exp.Unix())
	return err
}

// IssueTokens implements store.Store.
func (s *Store) IssueTokens(ctx context.Context, grantID, jti string, jtiExp time.Time, rt *store.RefreshToken) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("issue tokens: %w", err)
	}
	defer tx.Rollback()
	if err := issue(ctx, tx, grantID, jti, jtiExp, rt); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("issue tokens: %w", err)
	}
	return nil
}

// issue records tokens issued from a live grant, inside tx.
func issue(ctx context.Context, tx *sql.Tx, grantID, jti string, jtiExp time.Time, rt *store.RefreshToken) error {
	if err := liveGrant(ctx, tx, grantID); err != nil {
		return err
	}
	if err := recordAccessToken(ctx, tx, grantID, jti, jtiExp); err != nil {
		return fmt.Errorf("issue tokens: %w", err)
	}
	if rt != nil {
		if err := insertRefreshToken(ctx, tx, *rt); err != nil {
			return fmt.Errorf("issue tokens: %w", err)
		}
	}
	return nil
}

// GetRefreshToken implements store.Store.
func (s *Store) GetRefreshToken(ctx context.Context, hash string) (store.RefreshToken, error) {
	var data, jkt string
	var rotated, revoked sql.NullInt64
	var successor []byte
	err := s.db.QueryRowContext(ctx, `SELECT data, jkt, rotated_at, successor, revoked_at FROM refresh_tokens WHERE hash = ?`, hash).
		Scan(&data, &jkt, &rotated, &successor, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return store.RefreshToken{}, store.ErrNotFound
	}
	if err != nil {
		return store.RefreshToken{}, fmt.Errorf("get refresh token: %w", err)
	}
	var t store.RefreshToken
	if err := json.Unmarshal([]byte(data), &t); err != nil {
		return store.RefreshToken{}, fmt.Errorf("get refresh token: %w", err)
	}
	t.Hash, t.JKT, t.Successor = hash, jkt, successor
	if rotated.Valid {
		t.RotatedAt = time.UnixMilli(rotated.Int64)
	}
	if revoked.Valid {
		t.RevokedAt = time.UnixMilli(revoked.Int64)
	}
	return t, nil
}

// RotateRefreshToken implements store.Store.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash string, rotatedAt time.Time, successor []byte, next store.RefreshToken, jti string, jtiExp time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rotate refresh token: %w", err)
	}
	defer tx.Rollback()
	if err := liveGrant(ctx, tx, next.GrantID); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx,
		`UPDATE refresh_tokens SET rotated_at = ?, successor = ?, successor_hash = ? WHERE hash = ? AND grant_id = ? AND rotated_at IS NULL AND revoked_at IS NULL`,
		rotatedAt.UnixMilli(), successor, next.Hash, oldHash, next.GrantID)
	if err != nil {
		return fmt.Errorf("rotate refresh token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrReplay
	}
	if err := insertRefreshToken(ctx, tx, next); err != nil {
		return fmt.Errorf("rotate refresh token: %w", err)
	}
	if err := recordAccessToken(ctx, tx, next.GrantID, jti, jtiExp); err != nil {
		return fmt.Errorf("rotate refresh token: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("rotate refresh token: %w", err)
	}
	return nil
}

// RetryRefreshToken implements store.Store. The immediate transaction
// holds the write lock from its start, so no rotation, presentation or
// revocation lands between the check of the successor and the answer.
func (s *Store) RetryRefreshToken(ctx context.Context, hash, clientID string, now time.Time, grace time.Duration) ([]byte, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("retry refresh token: %w", err)
	}
	defer tx.Rollback()
	var grantID, tokenClient string
	var rotated sql.NullInt64
	var successor []byte
	var successorHash sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT grant_id, client_id, rotated_at, successor, successor_hash FROM refresh_tokens WHERE hash = ?`, hash).
		Scan(&grantID, &tokenClient, &rotated, &successor, &successorHash)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !rotated.Valid) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("retry refresh token: %w", err)
	}
	if err := liveGrant(ctx, tx, grantID); err != nil {
		return nil, err
	}
	retry := tokenClient == clientID && now.Sub(time.UnixMilli(rotated.Int64)) <= grace && successor != nil && successorHash.Valid
	if retry {
		var fresh bool
		err := tx.QueryRowContext(ctx,
			`SELECT rotated_at IS NULL AND revoked_at IS NULL AND presented_at IS NULL FROM refresh_tokens WHERE hash = ?`,
			successorHash.String).Scan(&fresh)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("retry refresh token: %w", err)
		}
		retry = fresh
	}
	if retry {
		return successor, nil
	}
	if err := revokeGrant(ctx, tx, grantID, now); err != nil {
		return nil, fmt.Errorf("retry refresh token: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("retry refresh token: %w", err)
	}
	return nil, store.ErrReplay
}

// MarkRefreshTokenPresented implements store.Store.
func (s *Store) MarkRefreshTokenPresented(ctx context.Context, hash string, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE refresh_tokens SET presented_at = ? WHERE hash = ? AND presented_at IS NULL`,
		now.UnixMilli(), hash); err != nil {
		return fmt.Errorf("mark refresh token presented: %w", err)
	}
	return nil
}

// RevokeGrant implements store.Store.
func (s *Store) RevokeGrant(ctx context.Context, grantID string, now time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("revoke grant: %w", err)
	}
	defer tx.Rollback()
	if err := revokeGrant(ctx, tx, grantID, now); err != nil {
		return fmt.Errorf("revoke grant: %w", err)
	}
	return tx.Commit()
}

func revokeGrant(ctx context.Context, tx *sql.Tx, grantID string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, now.Unix(), grantID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = ?, successor = NULL WHERE grant_id = ? AND revoked_at IS NULL`,
		now.UnixMilli(), grantID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx,
		`INSERT INTO revocations (jti, expires_at, revoked_at)
		 SELECT jti, expires_at, ? FROM grant_access_tokens WHERE grant_id = ? AND expires_at > ?
		 ON CONFLICT (jti) DO NOTHING`,
		now.Unix(), grantID, now.Unix())
	return err
}
