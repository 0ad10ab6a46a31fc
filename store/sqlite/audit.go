package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portcullis/portcullis/store"
)

// AppendAudit implements store.Store. An event whose UID is stored
// already is skipped (migration 0009's unique index).
//
// Events go in by auditRows a statement: every token issued is an event,
// and one row a statement cost a third more in statement overhead (the
// AUTOINCREMENT counter is written once a statement) than the rows
// themselves. The statement for a full chunk is prepared once per
// connection (database/sql keeps it); the remainder's is prepared for the
// batch.
func (s *Store) AppendAudit(ctx context.Context, events []store.AuditEvent) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	defer tx.Rollback()
	args := make([]any, 0, 8*min(len(events), auditRows))
	for chunk := range slices.Chunk(events, auditRows) {
		args = args[:0]
		for _, e := range chunk {
			detail, err := json.Marshal(e.Detail)
			if err != nil {
				return fmt.Errorf("append audit: %w", err)
			}
			args = append(args, e.Time.UnixMicro(), e.Type, e.Subject, e.ClientID, e.Remote, e.RequestID, string(detail), e.UID)
		}
		stmt, err := s.auditInsert(ctx, tx, len(chunk))
		if err != nil {
			return fmt.Errorf("append audit: %w", err)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("append audit: %w", err)
		}
	}
	return tx.Commit()
}

// auditRows is how many events one INSERT stores: 8 parameters each, well
// within SQLite's limit of 32766.
const auditRows = 100

// auditInsertSQL is the statement inserting n events.
func auditInsertSQL(n int) string {
	return `INSERT INTO audit_events (time, type, subject, client_id, remote, request_id, detail, uid) VALUES ` +
		strings.TrimSuffix(strings.Repeat(`(?, ?, ?, ?, ?, ?, ?, NULLIF(?, '')),`, n), ",") +
		` ON CONFLICT (uid) DO NOTHING`
}

// auditInsert returns the statement inserting n events, in tx.
func (s *Store) auditInsert(ctx context.Context, tx *sql.Tx, n int) (*sql.Stmt, error) {
	if n < auditRows {
		return tx.PrepareContext(ctx, auditInsertSQL(n))
	}
	s.auditFull.mu.Lock()
	defer s.auditFull.mu.Unlock()
	if s.auditFull.stmt == nil {
		// A failure is not kept: the next batch prepares again.
		stmt, err := s.db.PrepareContext(ctx, auditInsertSQL(n))
		if err != nil {
			return nil, err
		}
		s.auditFull.stmt = stmt
	}
	return tx.StmtContext(ctx, s.auditFull.stmt), nil
}

// auditDeleteBatch is how many events one statement of DeleteAuditBefore
// deletes.
const auditDeleteBatch = 5000

// DeleteAuditBefore implements store.Store.
func (s *Store) DeleteAuditBefore(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.db.ExecContext(ctx,
			`DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE time < ? ORDER BY time LIMIT ?)`,
			before.UnixMicro(), auditDeleteBatch)
		if err != nil {
			return total, fmt.Errorf("delete audit: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < auditDeleteBatch {
			return total, nil
		}
	}
}

// ListAudit implements store.Store.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, error) {
	var where []string
	var args []any
	for _, c := range []struct {
		col string
		val string
	}{{"subject", f.Subject}, {"client_id", f.ClientID}, {"type", f.Type}} {
		if c.val != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	if !f.Since.IsZero() {
		where = append(where, "time >= ?")
		args = append(args, f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		where = append(where, "time < ?")
		args = append(args, f.Until.UnixMicro())
	}
	if f.Before > 0 {
		where = append(where, "id < ?")
		args = append(args, f.Before)
	}
	q := `SELECT id, COALESCE(uid, ''), time, type, subject, client_id, remote, request_id, detail FROM audit_events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []store.AuditEvent
	for rows.Next() {
		var e store.AuditEvent
		var t int64
		var detail string
		if err := rows.Scan(&e.ID, &e.UID, &t, &e.Type, &e.Subject, &e.ClientID, &e.Remote, &e.RequestID, &detail); err != nil {
			return nil, fmt.Errorf("list audit: %w", err)
		}
		e.Time = time.UnixMicro(t)
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return nil, fmt.Errorf("list audit: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
