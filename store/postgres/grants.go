package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/portcullis/portcullis/store"
)

// CreateAuthCode implements store.Store.
func (s *Store) CreateAuthCode(ctx context.Context, c store.AuthCode) (err error) {
	defer fault(&err)
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("create code: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO auth_codes (hash, data, dpop_jkt, expires_at) VALUES ($1, $2, $3, $4)`,
		c.Hash, data, c.DPoPJKT, c.ExpiresAt); err != nil {
		return fmt.Errorf("create code: %w", err)
	}
	return nil
}

// GetAuthCode implements store.Store.
func (s *Store) GetAuthCode(ctx context.Context, hash string, now time.Time) (_ store.AuthCode, _ bool, err error) {
	defer fault(&err)
	var data []byte
	var jkt string
	var used *time.Time
	err = s.pool.QueryRow(ctx, `SELECT data, dpop_jkt, used_at FROM auth_codes WHERE hash = $1 AND expires_at > $2`, hash, now).Scan(&data, &jkt, &used)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.AuthCode{}, false, store.ErrNotFound
	}
	if err != nil {
		return store.AuthCode{}, false, fmt.Errorf("get code: %w", err)
	}
	c, err := decodeCode(hash, data)
	c.DPoPJKT = jkt
	return c, used != nil, err
}

// ExchangeAuthCode implements store.Store. The conditional UPDATE decides
// which of concurrent exchanges wins; losers wait for the winner's row lock
// and update nothing.
func (s *Store) ExchangeAuthCode(ctx context.Context, hash string, now time.Time, jti string, jtiExp time.Time, rt *store.RefreshToken) (err error) {
	defer fault(&err)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var data []byte
		err := tx.QueryRow(ctx,
			`UPDATE auth_codes SET used_at = $1 WHERE hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING data`,
			now, hash).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			// A second statement on purpose: under READ COMMITTED its
			// snapshot is taken after the UPDATE waited for the winner, so
			// it sees used_at set and tells a lost race from an unknown code.
			var used *time.Time
			err = tx.QueryRow(ctx, `SELECT used_at FROM auth_codes WHERE hash = $1 AND expires_at > $2`, hash, now).Scan(&used)
			if err == nil && used != nil {
				return store.ErrReplay
			}
			if err == nil || errors.Is(err, pgx.ErrNoRows) {
				return store.ErrNotFound
			}
		}
		if err != nil {
			return fmt.Errorf("exchange code: %w", err)
		}
		c, err := decodeCode(hash, data)
		if err != nil {
			return err
		}
		return issue(ctx, tx, c.GrantID, jti, jtiExp, rt)
	})
}

func decodeCode(hash string, data []byte) (store.AuthCode, error) {
	var c store.AuthCode
	if err := json.Unmarshal(data, &c); err != nil {
		return store.AuthCode{}, fmt.Errorf("decode code: %w", err)
	}
	c.Hash = hash
	return c, nil
}

func insertRefreshToken(ctx context.Context, tx pgx.Tx, t store.RefreshToken) error {
	data, err := json.Marshal(t)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx,
		`INSERT INTO refresh_tokens (hash, grant_id, user_id, client_id, data, jkt, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.Hash, t.GrantID, t.UserID, t.ClientID, data, t.JKT, t.ExpiresAt)
	return err
}

// CreateGrant implements store.Store.
func (s *Store) CreateGrant(ctx context.Context, g store.Grant) (err error) {
	defer fault(&err)
	if _, err := s.pool.Exec(ctx, `INSERT INTO grants (id, user_id, client_id, session_id, offline, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		g.ID, g.UserID, g.ClientID, g.SessionID, g.Offline, g.CreatedAt, g.ExpiresAt); err != nil {
		return fmt.Errorf("create grant: %w", err)
	}
	return nil
}

// liveGrant locks the grant's row until the transaction ends and fails with
// ErrRevoked unless the grant exists and is not revoked. RevokeGrant starts
// by updating that row, so it runs wholly before the caller (which then
// finds revoked_at set) or wholly after it (and, reading in READ COMMITTED,
// sees and revokes what the caller committed). A cutoff created later than
// the grant, for its client, its user or both, covers it too: RevokeAll
// writes the cutoff in the transaction that revokes the grants it finds,
// so a grant created while it ran, which it could not find, is refused
// here once it commits.
func liveGrant(ctx context.Context, tx pgx.Tx, grantID string) error {
	var revoked bool
	err := tx.QueryRow(ctx, `SELECT g.revoked_at IS NOT NULL OR COALESCE(g.created_at < (SELECT MAX(c.not_before) FROM cutoffs c
		WHERE (c.client_id, c.subject) IN (VALUES (g.client_id, ''), ('', g.user_id), (g.client_id, g.user_id))), false)
		FROM grants g WHERE g.id = $1 FOR UPDATE OF g`, grantID).Scan(&revoked)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && revoked) {
		return store.ErrRevoked
	}
	return err
}

func recordAccessToken(ctx context.Context, tx pgx.Tx, grantID, jti string, exp time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO grant_access_tokens (grant_id, jti, expires_at) VALUES ($1, $2, $3)`, grantID, jti, exp)
	return err
}

// IssueTokens implements store.Store.
func (s *Store) IssueTokens(ctx context.Context, grantID, jti string, jtiExp time.Time, rt *store.RefreshToken) (err error) {
	defer fault(&err)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return issue(ctx, tx, grantID, jti, jtiExp, rt)
	})
}

// issue records tokens issued from a live grant, inside tx.
func issue(ctx context.Context, tx pgx.Tx, grantID, jti string, jtiExp time.Time, rt *store.RefreshToken) error {
	if err := liveGrant(ctx, tx, grantID); err != nil {
		if errors.Is(err, store.ErrRevoked) {
			return err
		}
		return fmt.Errorf("issue tokens: %w", err)
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
func (s *Store) GetRefreshToken(ctx context.Context, hash string) (_ store.RefreshToken, err error) {
	defer fault(&err)
	var data, successor []byte
	var jkt string
	var rotated, revoked *time.Time
	err = s.pool.QueryRow(ctx, `SELECT data, jkt, rotated_at, successor, revoked_at FROM refresh_tokens WHERE hash = $1`, hash).
		Scan(&data, &jkt, &rotated, &successor, &revoked)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.RefreshToken{}, store.ErrNotFound
	}
	if err != nil {
		return store.RefreshToken{}, fmt.Errorf("get refresh token: %w", err)
	}
	var t store.RefreshToken
	if err := json.Unmarshal(data, &t); err != nil {
		return store.RefreshToken{}, fmt.Errorf("get refresh token: %w", err)
	}
	t.Hash, t.JKT, t.Successor = hash, jkt, successor
	if rotated != nil {
		t.RotatedAt = *rotated
	}
	if revoked != nil {
		t.RevokedAt = *revoked
	}
	return t, nil
}

// RotateRefreshToken implements store.Store. The grant's row lock orders the
// rotation against RevokeGrant; the conditional UPDATE decides which of
// concurrent rotations wins, the others finding rotated_at set once they get
// the row.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash string, rotatedAt time.Time, successor []byte, next store.RefreshToken, jti string, jtiExp time.Time) (err error) {
	defer fault(&err)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := liveGrant(ctx, tx, next.GrantID); err != nil {
			if errors.Is(err, store.ErrRevoked) {
				return err
			}
			return fmt.Errorf("rotate refresh token: %w", err)
		}
		tag, err := tx.Exec(ctx,
			`UPDATE refresh_tokens SET rotated_at = $1, successor = $2, successor_hash = $3 WHERE hash = $4 AND grant_id = $5 AND rotated_at IS NULL AND revoked_at IS NULL`,
			rotatedAt, successor, next.Hash, oldHash, next.GrantID)
		if err != nil {
			return fmt.Errorf("rotate refresh token: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return store.ErrReplay
		}
		if err := insertRefreshToken(ctx, tx, next); err != nil {
			return fmt.Errorf("rotate refresh token: %w", err)
		}
		if err := recordAccessToken(ctx, tx, next.GrantID, jti, jtiExp); err != nil {
			return fmt.Errorf("rotate refresh token: %w", err)
		}
		return nil
	})
}

// RetryRefreshToken implements store.Store. The grant's row lock (see
// liveGrant) orders the decision against rotations and revocations in the
// family, and the successor's row is read FOR SHARE, which waits for a
// concurrent MarkRefreshTokenPresented; every statement reads after those
// locks, so nothing lands between the check and the answer.
func (s *Store) RetryRefreshToken(ctx context.Context, hash, clientID string, now time.Time, grace time.Duration) (_ []byte, err error) {
	defer fault(&err)
	var successor []byte
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var grantID string
		err := tx.QueryRow(ctx, `SELECT grant_id FROM refresh_tokens WHERE hash = $1`, hash).Scan(&grantID)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := liveGrant(ctx, tx, grantID); err != nil {
			return err
		}
		var tokenClient string
		var rotated *time.Time
		var successorHash *string
		if err := tx.QueryRow(ctx, `SELECT client_id, rotated_at, successor, successor_hash FROM refresh_tokens WHERE hash = $1`, hash).
			Scan(&tokenClient, &rotated, &successor, &successorHash); err != nil {
			return err
		}
		if rotated == nil {
			return store.ErrNotFound
		}
		retry := tokenClient == clientID && now.Sub(*rotated) <= grace && successor != nil && successorHash != nil
		if retry {
			err := tx.QueryRow(ctx,
				`SELECT rotated_at IS NULL AND revoked_at IS NULL AND presented_at IS NULL FROM refresh_tokens WHERE hash = $1 FOR SHARE`,
				*successorHash).Scan(&retry)
			if errors.Is(err, pgx.ErrNoRows) {
				retry = false
			} else if err != nil {
				return err
			}
		}
		if retry {
			return nil
		}
		// Reuse: the revocation must commit, so the function succeeds and
		// the outcome is told by the cleared successor.
		successor = nil
		return revokeGrants(ctx, tx, []string{grantID}, now)
	})
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrRevoked):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("retry refresh token: %w", err)
	case successor == nil:
		return nil, store.ErrReplay
	}
	return successor, nil
}

// MarkRefreshTokenPresented implements store.Store.
func (s *Store) MarkRefreshTokenPresented(ctx context.Context, hash string, now time.Time) (err error) {
	defer fault(&err)
	if _, err := s.pool.Exec(ctx, `UPDATE refresh_tokens SET presented_at = $1 WHERE hash = $2 AND presented_at IS NULL`, now, hash); err != nil {
		return fmt.Errorf("mark refresh token presented: %w", err)
	}
	return nil
}

// RevokeGrant implements store.Store.
func (s *Store) RevokeGrant(ctx context.Context, grantID string, now time.Time) (err error) {
	defer fault(&err)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return revokeGrants(ctx, tx, []string{grantID}, now)
	})
	if err != nil {
		return fmt.Errorf("revoke grant: %w", err)
	}
	return nil
}

// revokeGrants revokes the grants, their refresh tokens and their unexpired
// access tokens. Its first statement locks the grants' rows, which waits for
// any transaction issuing from them (see liveGrant); every later statement
// reads afresh, so it sees the tokens those transactions committed. A caller
// revoking several grants locks them first, in ID order.
func revokeGrants(ctx context.Context, tx pgx.Tx, grantIDs []string, now time.Time) error {
	if len(grantIDs) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE grants SET revoked_at = $1 WHERE id = ANY($2) AND revoked_at IS NULL`, now, grantIDs); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $1, successor = NULL WHERE grant_id = ANY($2) AND revoked_at IS NULL`,
		now, grantIDs); err != nil {
		return err
	}
	if err := lockRevocationWriters(ctx, tx); err != nil {
		return err
	}
	_, err := tx.Exec(ctx,
		`INSERT INTO revocations (jti, expires_at, revoked_at)
		 SELECT jti, expires_at, $1 FROM grant_access_tokens WHERE grant_id = ANY($2) AND expires_at > $1
		 ON CONFLICT (jti) DO NOTHING`,
		now, grantIDs)
	return err
}
