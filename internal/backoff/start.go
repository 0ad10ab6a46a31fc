package backoff

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Issuer is the schedule of a part waiting for its issuer at start (the
// gateway's guard, the OAuth Agent): 0.5 s doubling to 30 s, for ever,
// since a part that gave up would need a restart the issuer's late start
// does not justify.
var Issuer = Schedule{Base: 500 * time.Millisecond, Max: 30 * time.Second}

// Start is a start-up step that needs another service, such as an
// issuer's discovery document and keys, retried in the background until
// it succeeds: a part listens before the service is up, and says it is
// not ready meanwhile, instead of exiting and being restarted in a loop.
// The zero value is not ready; it is safe for concurrent use.
type Start struct {
	ready atomic.Bool
	mu    sync.Mutex
	err   error     // the last failure
	next  time.Time // when the next attempt begins
}

// Ready reports whether the step has succeeded. It is one atomic load, so
// request paths may call it.
func (st *Start) Ready() bool { return st.ready.Load() }

// Failure is the last failure of the step, nil once it succeeded or
// before it failed.
func (st *Start) Failure() error {
	if st.Ready() {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.err
}

// MarkReady records that the step succeeded. Whatever the step set up
// must be written before: Ready's atomic load orders it for readers.
func (st *Start) MarkReady() { st.ready.Store(true) }

// RetryAfter is how long a client should wait before trying again, for a
// Retry-After header (RFC 9110 section 10.2.3): until the next attempt,
// in whole seconds, at least one.
func (st *Start) RetryAfter(now time.Time) time.Duration {
	st.mu.Lock()
	d := st.next.Sub(now)
	st.mu.Unlock()
	return max(d.Round(time.Second), time.Second)
}

// Retry calls step after s.Delay(1), s.Delay(2) and so on until it
// returns nil, then marks st ready; it returns then or when ctx ends.
// first is the failure of the attempt already made. s.Attempts is
// ignored: a start-up step is retried for as long as the part runs. Each
// failure is logged as a warning naming what.
func (st *Start) Retry(ctx context.Context, s Schedule, first error, step func(context.Context) error, log *slog.Logger, what string) {
	err := first
	for n := 1; ; n++ {
		wait := s.Delay(n)
		st.mu.Lock()
		st.err, st.next = err, time.Now().Add(wait)
		st.mu.Unlock()
		log.Warn(what+": not ready, retrying", "retry_in", wait.Round(time.Millisecond).String(), "attempt", n, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err = step(ctx); err == nil {
			st.MarkReady()
			log.Info(what + ": ready")
			return
		}
		if ctx.Err() != nil {
			return
		}
	}
}
