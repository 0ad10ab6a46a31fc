package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/portcullis/portcullis/store"
)

// RevocationVersion implements store.Store: the last seq of revocations
// and of cutoffs. Their writers take the revocation writers' lock until
// they commit (lockRevocationWriters), so seq order is commit order and a
// reading sees every row committed before it. A row is only ever deleted
// once expired, so a maximum that falls again hides only changes about
// expired tokens.
//
// Concurrent callers share readings (versionReader), so a burst of
// introspections costs one round trip.
func (s *Store) RevocationVersion(ctx context.Context) (store.Version, error) {
	return s.versions.read(ctx, func(ctx context.Context) (v store.Version, err error) {
		defer fault(&err)
		var r, c int64
		if err := s.pool.QueryRow(ctx,
			`SELECT (SELECT coalesce(max(seq), 0) FROM revocations), (SELECT coalesce(max(seq), 0) FROM cutoffs)`).Scan(&r, &c); err != nil {
			return store.Version{}, fmt.Errorf("revocation version: %w", err)
		}
		// seq starts at 1: 1 added to each keeps an empty store's reading
		// apart from the zero Version, which proves nothing.
		return store.Version{uint64(r) + 1, uint64(c) + 1}, nil
	})
}

// versionReader shares readings among concurrent callers without ever
// giving one a reading taken before it called: callers join the next round,
// which starts (and stops admitting) only once the round before it ends.
// One goroutine runs the rounds while anyone waits.
type versionReader struct {
	mu      sync.Mutex
	next    *versionRound
	running bool
}

type versionRound struct {
	done chan struct{}
	v    store.Version
	err  error
}

// readTimeout bounds one round, which runs apart from its callers'
// contexts so that one caller giving up does not fail the others.
const readTimeout = 5 * time.Second

func (r *versionReader) read(ctx context.Context, fn func(context.Context) (store.Version, error)) (store.Version, error) {
	r.mu.Lock()
	rd := r.next
	if rd == nil {
		rd = &versionRound{done: make(chan struct{})}
		r.next = rd
	}
	if !r.running {
		r.running = true
		go r.run(fn)
	}
	r.mu.Unlock()
	select {
	case <-rd.done:
		return rd.v, rd.err
	case <-ctx.Done():
		return store.Version{}, ctx.Err()
	}
}

// run reads for each round in turn until no one waits.
func (r *versionReader) run(fn func(context.Context) (store.Version, error)) {
	for {
		r.mu.Lock()
		rd := r.next
		r.next = nil
		if rd == nil {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		rd.v, rd.err = fn(ctx)
		cancel()
		close(rd.done)
	}
}
