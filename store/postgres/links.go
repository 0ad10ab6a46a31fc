package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/portcullis/portcullis/store"
)

// CreateLink implements store.Store.
func (s *Store) CreateLink(ctx context.Context, l store.Link, newUser *store.User) (err error) {
	defer fault(&err)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if newUser != nil {
			data, err := json.Marshal(newUser)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO users (id, username, data, created_at) VALUES ($1, $2, $3, $4)`,
				newUser.ID, newUser.Username, data, newUser.CreatedAt); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO user_links (connector_id, subject, user_id, created_at) VALUES ($1, $2, $3, $4)`,
			l.ConnectorID, l.Subject, l.UserID, l.CreatedAt)
		return err
	})
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == "23505" {
		return store.ErrAlreadyExists
	}
	if err != nil {
		return fmt.Errorf("create link: %w", err)
	}
	return nil
}

// GetLink implements store.Store.
func (s *Store) GetLink(ctx context.Context, connectorID, subject string) (_ store.Link, err error) {
	defer fault(&err)
	l := store.Link{ConnectorID: connectorID, Subject: subject}
	err = s.pool.QueryRow(ctx, `SELECT user_id, created_at FROM user_links WHERE connector_id = $1 AND subject = $2`,
		connectorID, subject).Scan(&l.UserID, &l.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Link{}, store.ErrNotFound
	}
	if err != nil {
		return store.Link{}, fmt.Errorf("get link: %w", err)
	}
	l.CreatedAt = l.CreatedAt.UTC()
	return l, nil
}

// ListLinks implements store.Store.
func (s *Store) ListLinks(ctx context.Context, userID string) (_ []store.Link, err error) {
	defer fault(&err)
	rows, _ := s.pool.Query(ctx, `SELECT connector_id, subject, created_at FROM user_links WHERE user_id = $1 ORDER BY created_at, connector_id, subject`, userID)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Link, error) {
		l := store.Link{UserID: userID}
		err := row.Scan(&l.ConnectorID, &l.Subject, &l.CreatedAt)
		l.CreatedAt = l.CreatedAt.UTC()
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	return out, nil
}

// DeleteLink implements store.Store.
func (s *Store) DeleteLink(ctx context.Context, userID, connectorID, subject string) (err error) {
	defer fault(&err)
	tag, err := s.pool.Exec(ctx, `DELETE FROM user_links WHERE user_id = $1 AND connector_id = $2 AND subject = $3`, userID, connectorID, subject)
	if err != nil {
		return fmt.Errorf("delete link: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}
