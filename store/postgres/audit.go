package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/portcullis/portcullis/store"
)

// AppendAudit implements store.Store. One batch, one round trip. An
// event whose UID is stored already is skipped (migration 0009's unique
// index).
func (s *Store) AppendAudit(ctx context.Context, events []store.AuditEvent) (err error) {
	defer fault(&err)
	batch := &pgx.Batch{}
	for _, e := range events {
		detail, err := json.Marshal(e.Detail)
		if err != nil {
			return fmt.Errorf("append audit: %w", err)
		}
		batch.Queue(`INSERT INTO audit_events (time, type, subject, client_id, remote, request_id, detail, uid) VALUES ($1, $2, $3, $4, $5, $6, $7, NULLIF($8, ''))
			 ON CONFLICT (uid) DO NOTHING`,
			e.Time, e.Type, e.Subject, e.ClientID, e.Remote, e.RequestID, detail, e.UID)
	}
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}

// auditDeleteBatch is how many events one statement of DeleteAuditBefore
// deletes.
const auditDeleteBatch = 5000

// DeleteAuditBefore implements store.Store.
func (s *Store) DeleteAuditBefore(ctx context.Context, before time.Time) (_ int64, err error) {
	defer fault(&err)
	var total int64
	for {
		tag, err := s.pool.Exec(ctx,
			`DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE time < $1 ORDER BY time LIMIT $2)`,
			before, auditDeleteBatch)
		if err != nil {
			return total, fmt.Errorf("delete audit: %w", err)
		}
		n := tag.RowsAffected()
		total += n
		if n < auditDeleteBatch {
			return total, nil
		}
	}
}

// ListAudit implements store.Store.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) (_ []store.AuditEvent, err error) {
	defer fault(&err)
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Subject != "" {
		add("subject = $%d", f.Subject)
	}
	if f.ClientID != "" {
		add("client_id = $%d", f.ClientID)
	}
	if f.Type != "" {
		add("type = $%d", f.Type)
	}
	if !f.Since.IsZero() {
		add("time >= $%d", f.Since)
	}
	if !f.Until.IsZero() {
		add("time < $%d", f.Until)
	}
	if f.Before > 0 {
		add("id < $%d", f.Before)
	}
	q := `SELECT id, COALESCE(uid, ''), time, type, subject, client_id, remote, request_id, detail FROM audit_events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	args = append(args, limit)
	rows, err := s.pool.Query(ctx, q+fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []store.AuditEvent
	for rows.Next() {
		var e store.AuditEvent
		var detail []byte
		if err := rows.Scan(&e.ID, &e.UID, &e.Time, &e.Type, &e.Subject, &e.ClientID, &e.Remote, &e.RequestID, &detail); err != nil {
			return nil, fmt.Errorf("list audit: %w", err)
		}
		if err := json.Unmarshal(detail, &e.Detail); err != nil {
			return nil, fmt.Errorf("list audit: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
