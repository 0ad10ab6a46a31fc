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

// SaveAuthRequest implements store.Store.
func (s *Store) SaveAuthRequest(ctx context.Context, r store.AuthRequest) (err error) {
	defer fault(&err)
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("save auth request: %w", err)
	}
	_, err = s.pool.Exec(ctx,
		`INSERT INTO auth_requests (id, data, dpop_jkt, expires_at) VALUES ($1, $2, $3, $4)
		 ON CONFLICT (id) DO UPDATE SET data = excluded.data, dpop_jkt = excluded.dpop_jkt, expires_at = excluded.expires_at`,
		r.ID, data, r.DPoPJKT, r.ExpiresAt)
	if err != nil {
		return fmt.Errorf("save auth request: %w", err)
	}
	return nil
}

// GetAuthRequest implements store.Store.
func (s *Store) GetAuthRequest(ctx context.Context, id string, now time.Time) (_ store.AuthRequest, err error) {
	defer fault(&err)
	var data []byte
	var r store.AuthRequest
	err = s.pool.QueryRow(ctx, `SELECT data, dpop_jkt FROM auth_requests WHERE id = $1 AND expires_at > $2`, id, now).Scan(&data, &r.DPoPJKT)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.AuthRequest{}, store.ErrNotFound
	}
	if err == nil {
		err = json.Unmarshal(data, &r)
	}
	if err != nil {
		return store.AuthRequest{}, fmt.Errorf("get auth request: %w", err)
	}
	return r, nil
}

// DeleteAuthRequest implements store.Store. Concurrent deletions of one row
// queue on its lock, and those after the first find it gone.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) (err error) {
	defer fault(&err)
	tag, err := s.pool.Exec(ctx, `DELETE FROM auth_requests WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete auth request: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// CreateSession implements store.Store.
func (s *Store) CreateSession(ctx context.Context, ss store.Session) (err error) {
	defer fault(&err)
	data, err := json.Marshal(ss)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO sessions (id_hash, user_id, data, expires_at) VALUES ($1, $2, $3, $4)`,
		ss.IDHash, ss.UserID, data, ss.ExpiresAt)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// GetSession implements store.Store.
func (s *Store) GetSession(ctx context.Context, idHash string, now time.Time) (_ store.Session, err error) {
	defer fault(&err)
	ss, err := getJSON[store.Session](ctx, s.pool, "get session",
		`SELECT data FROM sessions WHERE id_hash = $1 AND expires_at > $2`, idHash, now)
	ss.IDHash = idHash
	return ss, err
}

// DeleteSession implements store.Store.
func (s *Store) DeleteSession(ctx context.Context, idHash string) (err error) {
	defer fault(&err)
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// GetConsent implements store.Store.
func (s *Store) GetConsent(ctx context.Context, userID, clientID string) (_ []string, err error) {
	defer fault(&err)
	var scopes []string
	err = s.pool.QueryRow(ctx, `SELECT scopes FROM consents WHERE user_id = $1 AND client_id = $2`, userID, clientID).Scan(&scopes)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get consent: %w", err)
	}
	return scopes, nil
}

// SaveConsent implements store.Store.
func (s *Store) SaveConsent(ctx context.Context, userID, clientID string, scopes []string) (err error) {
	defer fault(&err)
	if scopes == nil {
		scopes = []string{} // the column is NOT NULL; nil would encode as NULL
	}
	_, err = s.pool.Exec(ctx,
		`INSERT INTO consents (user_id, client_id, scopes) VALUES ($1, $2, $3)
		 ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes`,
		userID, clientID, scopes)
	if err != nil {
		return fmt.Errorf("save consent: %w", err)
	}
	return nil
}

// ListSessions implements store.Store. A user has few sessions: they are
// sorted here rather than by a column the JSON document would duplicate.
func (s *Store) ListSessions(ctx context.Context, userID string, now time.Time) (_ []store.Session, err error) {
	defer fault(&err)
	out, err := listJSON[store.Session](ctx, s.pool, "list sessions",
		`SELECT data FROM sessions WHERE user_id = $1 AND expires_at > $2`, userID, now)
	if err != nil {
		return nil, err
	}
	store.SortSessions(out)
	return out, nil
}

// EndSession implements store.Store.
func (s *Store) EndSession(ctx context.Context, userID, sid string, now time.Time) (err error) {
	defer fault(&err)
	if sid == "" {
		return store.ErrNotFound
	}
	tag, err := s.pool.Exec(ctx,
		`DELETE FROM sessions WHERE user_id = $1 AND data->>'sid' = $2 AND expires_at > $3`, userID, sid, now)
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// UpdateSession implements store.Store. The row is read FOR UPDATE, so
// concurrent updates (a second factor and a step-up in two tabs) take
// turns, each starting from the last one's result. The expiry column
// follows the document's; what names the session stays.
func (s *Store) UpdateSession(ctx context.Context, idHash string, now time.Time, update func(*store.Session) error) (err error) {
	defer fault(&err)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		ss, err := getJSON[store.Session](ctx, tx, "update session",
			`SELECT data FROM sessions WHERE id_hash = $1 AND expires_at > $2 FOR UPDATE`, idHash, now)
		if err != nil {
			return err
		}
		ss.IDHash = idHash
		userID, sid := ss.UserID, ss.SID
		if err := update(&ss); err != nil {
			return err
		}
		ss.UserID, ss.SID = userID, sid
		data, err := json.Marshal(ss)
		if err != nil {
			return fmt.Errorf("update session: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE sessions SET data = $1, expires_at = $2 WHERE id_hash = $3`, data, ss.ExpiresAt, idHash); err != nil {
			return fmt.Errorf("update session: %w", err)
		}
		return nil
	})
}
