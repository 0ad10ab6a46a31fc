package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/portcullis/portcullis/store"
)

// SaveAuthRequest implements store.Store.
func (s *Store) SaveAuthRequest(ctx context.Context, r store.AuthRequest) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("save auth request: %w", err)
	}
	_, err = s.db.ExecContext(ctx,
		`INSERT INTO auth_requests (id, data, dpop_jkt, expires_at) VALUES (?, ?, ?, ?)
		 ON CONFLICT (id) DO UPDATE SET data = excluded.data, dpop_jkt = excluded.dpop_jkt, expires_at = excluded.expires_at`,
		r.ID, string(data), r.DPoPJKT, r.ExpiresAt.Unix())
	if err != nil {
		return fmt.Errorf("save auth request: %w", err)
	}
	return nil
}

// GetAuthRequest implements store.Store.
func (s *Store) GetAuthRequest(ctx context.Context, id string, now time.Time) (store.AuthRequest, error) {
	var data string
	var r store.AuthRequest
	err := s.db.QueryRowContext(ctx, `SELECT data, dpop_jkt FROM auth_requests WHERE id = ? AND expires_at > ?`, id, now.Unix()).
		Scan(&data, &r.DPoPJKT)
	if errors.Is(err, sql.ErrNoRows) {
		return store.AuthRequest{}, store.ErrNotFound
	}
	if err == nil {
		err = json.Unmarshal([]byte(data), &r)
	}
	if err != nil {
		return store.AuthRequest{}, fmt.Errorf("get auth request: %w", err)
	}
	return r, nil
}

// DeleteAuthRequest implements store.Store.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM auth_requests WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete auth request: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// CreateSession implements store.Store.
func (s *Store) CreateSession(ctx context.Context, ss store.Session) error {
	data, err := json.Marshal(ss)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, data, expires_at) VALUES (?, ?, ?, ?)`,
		ss.IDHash, ss.UserID, string(data), ss.ExpiresAt.Unix())
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// GetSession implements store.Store.
func (s *Store) GetSession(ctx context.Context, idHash string, now time.Time) (store.Session, error) {
	ss, err := getJSON[store.Session](ctx, s.db, "get session",
		`SELECT data FROM sessions WHERE id_hash = ? AND expires_at > ?`, idHash, now.Unix())
	ss.IDHash = idHash
	return ss, err
}

// DeleteSession implements store.Store.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// GetConsent implements store.Store.
func (s *Store) GetConsent(ctx context.Context, userID, clientID string) ([]string, error) {
	var scopes string
	err := s.db.QueryRowContext(ctx, `SELECT scopes FROM consents WHERE user_id = ? AND client_id = ?`, userID, clientID).Scan(&scopes)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get consent: %w", err)
	}
	return strings.Fields(scopes), nil
}

// SaveConsent implements store.Store.
func (s *Store) SaveConsent(ctx context.Context, userID, clientID string, scopes []string) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO consents (user_id, client_id, scopes) VALUES (?, ?, ?)
		 ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes`,
		userID, clientID, strings.Join(scopes, " "))
	if err != nil {
		return fmt.Errorf("save consent: %w", err)
	}
	return nil
}

// ListSessions implements store.Store. A user has few sessions: they are
// sorted here rather than by a column the JSON document would duplicate.
func (s *Store) ListSessions(ctx context.Context, userID string, now time.Time) ([]store.Session, error) {
	out, err := listJSON[store.Session](ctx, s.db, "list sessions",
		`SELECT data FROM sessions WHERE user_id = ? AND expires_at > ?`, userID, now.Unix())
	if err != nil {
		return nil, err
	}
	store.SortSessions(out)
	return out, nil
}

// EndSession implements store.Store.
func (s *Store) EndSession(ctx context.Context, userID, sid string, now time.Time) error {
	if sid == "" {
		return store.ErrNotFound
	}
	res, err := s.db.ExecContext(ctx,
		`DELETE FROM sessions WHERE user_id = ? AND json_extract(data, '$.sid') = ? AND expires_at > ?`, userID, sid, now.Unix())
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// UpdateSession implements store.Store. The immediate transaction holds
// the write lock from BEGIN, so concurrent updates (a second factor and a
// step-up in two tabs) take turns. The expiry column follows the
// document's; what names the session stays.
func (s *Store) UpdateSession(ctx context.Context, idHash string, now time.Time, update func(*store.Session) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update session: %w", err)
	}
	defer tx.Rollback()
	ss, err := getJSON[store.Session](ctx, tx, "update session",
		`SELECT data FROM sessions WHERE id_hash = ? AND expires_at > ?`, idHash, now.Unix())
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
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET data = ?, expires_at = ? WHERE id_hash = ?`,
		string(data), ss.ExpiresAt.Unix(), idHash); err != nil {
		return fmt.Errorf("update session: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("update session: %w", err)
	}
	return nil
}
