package guard

import (
	"context"
	"errors"
	"sync"
)

// errNotAdmitted is returned by flight.do when no call was in flight for the
// key and admit refused to start one.
var errNotAdmitted = errors.New("guard: call not admitted")

// flight runs at most one call per key at a time and shares its result with
// everyone who asks for that key meanwhile: one JWKS fetch for a burst of
// unknown kids, one introspection for a burst of requests with the same
// token.
type flight[K comparable, V any] struct {
	mu    sync.Mutex
	calls map[K]*call[V]
}

type call[V any] struct {
	done chan struct{}
	val  V
	err  error
}

// do joins the call in flight for key or, when there is none and admit
// (nil admits) allows it, starts fn in its own goroutine. fn runs
// independently of ctx, so a caller that gives up does not fail the others;
// ctx only bounds how long this caller waits.
func (f *flight[K, V]) do(ctx context.Context, key K, admit func() bool, fn func() (V, error)) (V, error) {
	f.mu.Lock()
	c, ok := f.calls[key]
	if !ok {
		if admit != nil && !admit() {
			f.mu.Unlock()
			var zero V
			return zero, errNotAdmitted
		}
		c = &call[V]{done: make(chan struct{})}
		if f.calls == nil {
			f.calls = make(map[K]*call[V])
		}
		f.calls[key] = c
		go func() {
			c.val, c.err = fn()
			f.mu.Lock()
			delete(f.calls, key)
			f.mu.Unlock()
			close(c.done)
		}()
	}
	f.mu.Unlock()
	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}
