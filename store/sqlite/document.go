package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/portcullis/portcullis/store"
)

// Clients, users and APIs are stored as JSON documents in a data column,
// with the columns they are looked up and ordered by beside it; these
// helpers read and change such documents.

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// getJSON reads the JSON document of the one row query selects, or
// store.ErrNotFound; what names the operation in errors.
func getJSON[T any](ctx context.Context, q rowQuerier, what, query string, args ...any) (T, error) {
	var v T
	var data string
	err := q.QueryRowContext(ctx, query, args...).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return v, store.ErrNotFound
	}
	if err == nil {
		err = json.Unmarshal([]byte(data), &v)
	}
	if err != nil {
		return v, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// listJSON reads the JSON documents of the rows query selects, in order.
func listJSON[T any](ctx context.Context, db querier, what, query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var data string
		var v T
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// updateJSON reads the document get selects with key, runs update on it
// and stores the result with put (whose arguments are the document and
// key), in one transaction. The store's transactions are immediate: this
// one holds the write lock from BEGIN, so concurrent updates, from this
// process or another, take turns and each starts from the last one's
// result. An error from update rolls back and is returned as it is.
func updateJSON[T any](ctx context.Context, db *sql.DB, what, get, put, key string, update func(*T) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer tx.Rollback()
	v, err := getJSON[T](ctx, tx, what, get, key)
	if err != nil {
		return err
	}
	if err := update(&v); err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if _, err := tx.ExecContext(ctx, put, string(data), key); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// deleteJSON deletes the row del selects with key, a DELETE ... RETURNING
// its document, and runs check (when not nil) on that document, inside
// tx: the store's transactions are immediate, so no concurrent update
// lands between the row check sees and its deletion. An error from check
// is returned as it is, for the caller to roll tx back;
// store.ErrNotFound if there was no row.
func deleteJSON[T any](ctx context.Context, tx *sql.Tx, what, del, key string, check func(T) error) error {
	v, err := getJSON[T](ctx, tx, what, del, key)
	if err != nil || check == nil {
		return err
	}
	return check(v)
}
