package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/portcullis/portcullis/store"
)

// Clients, users, APIs and sessions are stored as JSON documents in a data
// column, with the columns they are looked up and ordered by beside it;
// these helpers read and change such documents.

// getJSON reads the JSON document of the one row query selects, or
// store.ErrNotFound; what names the operation in errors.
func getJSON[T any](ctx context.Context, q querier, what, query string, args ...any) (T, error) {
	var v T
	var data []byte
	err := q.QueryRow(ctx, query, args...).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, store.ErrNotFound
	}
	if err == nil {
		err = json.Unmarshal(data, &v)
	}
	if err != nil {
		return v, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// listJSON reads the JSON documents of the rows query selects, in order.
func listJSON[T any](ctx context.Context, q querier, what, query string, args ...any) ([]T, error) {
	rows, _ := q.Query(ctx, query, args...)
	out, err := pgx.CollectRows(rows, scanJSON[T])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// scanJSON is a pgx.RowToFunc for rows of one JSON column.
func scanJSON[T any](row pgx.CollectableRow) (T, error) {
	var data []byte
	var v T
	if err := row.Scan(&data); err != nil {
		return v, err
	}
	err := json.Unmarshal(data, &v)
	return v, err
}

// updateJSON reads the document get selects with key, runs update on it
// and stores the result with put (whose arguments are the document and
// key), in one transaction. get must lock the row (FOR UPDATE): concurrent
// updates, from any instance, then take turns on it and each starts from
// the last one's result, where without the lock the second to commit
// would undo the first. An error from update rolls back and is returned
// as it is.
func updateJSON[T any](ctx context.Context, pool *pgxpool.Pool, what, get, put, key string, update func(*T) error) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
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
		if _, err := tx.Exec(ctx, put, data, key); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	})
}

// deleteJSON deletes the row del selects with key, a DELETE ... RETURNING
// its document, and runs check (when not nil) on that document: the row
// as the deletion found it, locked until tx ends, so a concurrent update
// either committed before (and check sees it) or waits. An error from
// check is returned as it is, for the caller to roll tx back;
// store.ErrNotFound if there was no row.
func deleteJSON[T any](ctx context.Context, tx pgx.Tx, what, del, key string, check func(T) error) error {
	v, err := getJSON[T](ctx, tx, what, del, key)
	if err != nil || check == nil {
		return err
	}
	return check(v)
}
