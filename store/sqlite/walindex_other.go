//go:build !unix

package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/portcullis/portcullis/store"
)

// walIndex is unavailable where the -shm file cannot be mapped: every
// reading is the zero Version, so introspection asks the store each time.
type walIndex struct{}

func openWALIndex(context.Context, *sql.DB, string) (*walIndex, error) {
	return nil, errors.New("wal index: not supported on this platform")
}

func (*walIndex) version() store.Version { return store.Version{} }

func (*walIndex) close() error { return nil }
