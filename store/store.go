// Package store owns the persistent state of the authorization server: the
// clients registered at run time, the signing keys, revoked access tokens and
// the single-use markers that stop replays. Store is the one interface every
// backend implements; the storetest package holds the conformance suite they
// all must pass, so that SQLite and PostgreSQL give the same guarantees.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors that callers branch on with errors.Is.
var (
	// ErrNotFound means the requested record does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists means a record with the same identifier exists.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrReplay means a single-use marker was already used and has not expired.
	ErrReplay = errors.New("store: already used")
)

// Store is the storage boundary. Every method is safe for concurrent use by
// many goroutines and by several processes sharing the same database, which
// is how the CLI changes state beside running servers. Guarantees that must
// hold across processes (single use, atomic key updates) are enforced by the
// database, never by process memory.
type Store interface {
	// CreateClient adds a client; ErrAlreadyExists if its ID is taken.
	CreateClient(ctx context.Context, c Client) error
	// GetClient returns the client with the given ID or ErrNotFound.
	GetClient(ctx context.Context, id string) (Client, error)
	// ListClients returns every stored client ordered by ID.
	ListClients(ctx context.Context) ([]Client, error)
	// DeleteClient removes a client; ErrNotFound if there was none.
	DeleteClient(ctx context.Context, id string) error

	// ListKeys returns every signing key ordered by activation time.
	ListKeys(ctx context.Context) ([]Key, error)
	// UpdateKeys runs update on the current key set inside one transaction
	// and replaces the set with its result, so that concurrent first starts
	// or rotations never both add a key. An error from update aborts it.
	UpdateKeys(ctx context.Context, update func(current []Key) ([]Key, error)) error

	// RevokeToken records that the token with r.JTI is revoked until
	// r.ExpiresAt. Revoking a token twice is not an error.
	RevokeToken(ctx context.Context, r Revocation) error
	// IsRevoked reports whether the token with this jti has been revoked.
	IsRevoked(ctx context.Context, jti string) (bool, error)
	// ListRevocations returns up to limit revocations with Seq greater than
	// after, in Seq order, so that pollers can follow the list with a cursor.
	ListRevocations(ctx context.Context, after int64, limit int) ([]Revocation, error)

	// UseOnce marks key as used until expiresAt. It returns ErrReplay if the
	// key is already marked and its mark has not expired. Of many concurrent
	// calls with one key, exactly one succeeds.
	UseOnce(ctx context.Context, key string, expiresAt time.Time) error

	// DeleteExpired removes revocations and single-use marks that expired
	// before now; they can no longer matter.
	DeleteExpired(ctx context.Context, now time.Time) error

	// Ping reports whether the database is reachable.
	Ping(ctx context.Context) error
	// Close releases the database handle.
	Close() error
}
