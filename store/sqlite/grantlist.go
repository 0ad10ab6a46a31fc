package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/portcullis/portcullis/store"
)

// grantColumns are the columns scanGrant reads, in its order.
const grantColumns = `id, user_id, client_id, session_id, offline, created_at, expires_at, revoked_at`

type scanner interface{ Scan(dest ...any) error }

func scanGrant(row scanner) (store.Grant, error) {
	var g store.Grant
	var created, expires int64
	var revoked sql.NullInt64
	if err := row.Scan(&g.ID, &g.UserID, &g.ClientID, &g.SessionID, &g.Offline, &created, &expires, &revoked); err != nil {
		return g, err
	}
	g.CreatedAt, g.ExpiresAt = time.Unix(created, 0), time.Unix(expires, 0)
	if revoked.Valid {
		g.RevokedAt = time.Unix(revoked.Int64, 0)
	}
	return g, nil
}

// GetGrant implements store.Store.
func (s *Store) GetGrant(ctx context.Context, id string) (store.Grant, error) {
	g, err := scanGrant(s.db.QueryRowContext(ctx, `SELECT `+grantColumns+` FROM grants WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Grant{}, store.ErrNotFound
	}
	if err != nil {
		return store.Grant{}, fmt.Errorf("get grant: %w", err)
	}
	return g, nil
}

// ListGrants implements store.Store. The indexes of migration 0014 give
// each listing its order, so a page reads from its cursor and stops when
// full.
func (s *Store) ListGrants(ctx context.Context, f store.GrantFilter) ([]store.Grant, error) {
	var where []string
	var args []any
	if f.UserID != "" {
		where, args = append(where, "user_id = ?"), append(args, f.UserID)
	}
	if f.ClientID != "" {
		where, args = append(where, "client_id = ?"), append(args, f.ClientID)
	}
	if f.Live {
		where, args = append(where, "revoked_at IS NULL AND expires_at > ?"), append(args, f.LiveAt().Unix())
	}
	if f.HasCursor() {
		where, args = append(where, "(created_at, id) < (?, ?)"), append(args, f.BeforeCreated.Unix(), f.BeforeID)
	}
	q := `SELECT ` + grantColumns + ` FROM grants`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, store.PageLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	defer rows.Close()
	var out []store.Grant
	for rows.Next() {
		g, err := scanGrant(rows)
		if err != nil {
			return nil, fmt.Errorf("list grants: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	return out, nil
}
