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

// CreateLink implements store.Store.
func (s *Store) CreateLink(ctx context.Context, l store.Link, newUser *store.User) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create link: %w", err)
	}
	defer tx.Rollback()
	if newUser != nil {
		data, err := json.Marshal(newUser)
		if err != nil {
			return fmt.Errorf("create link: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO users (id, username, data, created_at) VALUES (?, ?, ?, ?)`,
			newUser.ID, newUser.Username, string(data), newUser.CreatedAt.Unix())
		if err != nil {
			return linkError(err)
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO user_links (connector_id, subject, user_id, created_at) VALUES (?, ?, ?, ?)`,
		l.ConnectorID, l.Subject, l.UserID, l.CreatedAt.UnixNano())
	if err != nil {
		return linkError(err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create link: %w", err)
	}
	return nil
}

func linkError(err error) error {
	if se, ok := errors.AsType[*msqlite.Error](err); ok && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return store.ErrAlreadyExists
	}
	return fmt.Errorf("create link: %w", err)
}

// GetLink implements store.Store.
func (s *Store) GetLink(ctx context.Context, connectorID, subject string) (store.Link, error) {
	l := store.Link{ConnectorID: connectorID, Subject: subject}
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT user_id, created_at FROM user_links WHERE connector_id = ? AND subject = ?`,
		connectorID, subject).Scan(&l.UserID, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Link{}, store.ErrNotFound
	}
	if err != nil {
		return store.Link{}, fmt.Errorf("get link: %w", err)
	}
	l.CreatedAt = time.Unix(0, created).UTC()
	return l, nil
}

// ListLinks implements store.Store.
func (s *Store) ListLinks(ctx context.Context, userID string) ([]store.Link, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT connector_id, subject, created_at FROM user_links WHERE user_id = ? ORDER BY created_at, connector_id, subject`, userID)
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	defer rows.Close()
	var out []store.Link
	for rows.Next() {
		l := store.Link{UserID: userID}
		var created int64
		if err := rows.Scan(&l.ConnectorID, &l.Subject, &created); err != nil {
			return nil, fmt.Errorf("list links: %w", err)
		}
		l.CreatedAt = time.Unix(0, created).UTC()
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	return out, nil
}

// DeleteLink implements store.Store.
func (s *Store) DeleteLink(ctx context.Context, userID, connectorID, subject string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM user_links WHERE user_id = ? AND connector_id = ? AND subject = ?`, userID, connectorID, subject)
	if err != nil {
		return fmt.Errorf("delete link: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}
