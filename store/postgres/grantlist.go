package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/portcullis/portcullis/store"
)

// grantColumns are the columns scanGrant reads, in its order.
const grantColumns = `id, user_id, client_id, session_id, offline, created_at, expires_at, revoked_at`

func scanGrant(row pgx.Row) (store.Grant, error) {
	var g store.Grant
	var revoked *time.Time
	if err := row.Scan(&g.ID, &g.UserID, &g.ClientID, &g.SessionID, &g.Offline, &g.CreatedAt, &g.ExpiresAt, &revoked); err != nil {
		return g, err
	}
	if revoked != nil {
		g.RevokedAt = *revoked
	}
	return g, nil
}

// GetGrant implements store.Store.
func (s *Store) GetGrant(ctx context.Context, id string) (_ store.Grant, err error) {
	defer fault(&err)
	g, err := scanGrant(s.pool.QueryRow(ctx, `SELECT `+grantColumns+` FROM grants WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
func (s *Store) ListGrants(ctx context.Context, f store.GrantFilter) (_ []store.Grant, err error) {
	defer fault(&err)
	var where []string
	var args []any
	add := func(cond string, vs ...any) {
		n := make([]any, len(vs))
		for i, v := range vs {
			args = append(args, v)
			n[i] = len(args)
		}
		where = append(where, fmt.Sprintf(cond, n...))
	}
	if f.UserID != "" {
		add("user_id = $%d", f.UserID)
	}
	if f.ClientID != "" {
		add("client_id = $%d", f.ClientID)
	}
	if f.Live {
		add("revoked_at IS NULL AND expires_at > $%d", f.LiveAt())
	}
	if f.HasCursor() {
		add("(created_at, id) < ($%d, $%d)", f.BeforeCreated, f.BeforeID)
	}
	q := `SELECT ` + grantColumns + ` FROM grants`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, store.PageLimit(f.Limit))
	rows, _ := s.pool.Query(ctx, q+fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT $%d`, len(args)), args...)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Grant, error) { return scanGrant(row) })
	if err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	return out, nil
}
