package agent

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// refreshReuse is how long a refresh's result is kept for requests that
// carry the same refresh token after the call ended. A browser sends
// requests it started before the new cookies arrived with the old ones;
// they must get the new tokens rather than a refusal from a provider that
// rotates refresh tokens, which would log the user out. It exceeds the
// provider timeout, so a request that waited on a slow call still finds
// the result.
const refreshReuse = 30 * time.Second

// refreshResult is the outcome of one refresh at the provider.
type refreshResult struct {
	tok     *oauth2.Token
	idToken string // verified; empty when the provider sent none
	err     error
}

// final reports whether the result holds for every request with the same
// refresh token: new tokens, or a refusal of the token itself. Other
// failures are not kept, so that a retry calls the provider again.
func (r refreshResult) final() bool {
	var oe *oauthError
	return r.err == nil || errors.As(r.err, &oe) && oe.code == "invalid_grant"
}

// refreshCall is one refresh at the provider, shared by the requests with
// its refresh token.
type refreshCall struct {
	key   [32]byte
	done  chan struct{} // closed when res is set
	res   refreshResult
	until time.Time
}

// refreshes makes requests that carry the same refresh token share one
// call to the provider and its result: those that arrive while it runs
// wait for it, those that arrive within refreshReuse after it get its
// result. Calls are keyed by the refresh token's SHA-256; the tokens stay
// in memory no longer than refreshReuse.
type refreshes struct {
	mu     sync.Mutex
	calls  map[[32]byte]*refreshCall
	recent []*refreshCall // finished calls kept for reuse, oldest first
}

func newRefreshes() *refreshes {
	return &refreshes{calls: map[[32]byte]*refreshCall{}}
}

// do returns the result of fn for key, or of the call for key that runs or
// recently ran, and whether this request ran fn: only that one may act on
// a refusal by deleting cookies. fn must not depend on the request's
// context, since others wait for it; a waiter whose ctx ends stops waiting.
func (f *refreshes) do(ctx context.Context, key [32]byte, fn func() refreshResult) (refreshResult, bool) {
	f.mu.Lock()
	f.expire()
	if c, ok := f.calls[key]; ok {
		f.mu.Unlock()
		select {
		case <-c.done:
			return c.res, false
		case <-ctx.Done():
			return refreshResult{err: ctx.Err()}, false
		}
	}
	c := &refreshCall{key: key, done: make(chan struct{})}
	f.calls[key] = c
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		if c.res.final() {
			c.until = time.Now().Add(refreshReuse)
			f.recent = append(f.recent, c)
			// Forget the tokens when their time is up even if no refresh
			// comes to sweep them.
			time.AfterFunc(refreshReuse+time.Second, func() {
				f.mu.Lock()
				f.expire()
				f.mu.Unlock()
			})
		} else {
			delete(f.calls, key)
		}
		f.mu.Unlock()
		close(c.done)
	}()
	// Should fn panic, waiters get a failure that is not kept.
	c.res = refreshResult{err: errBadAnswer}
	c.res = fn()
	return c.res, true
}

// expire forgets the kept results whose time is up. f.mu must be held.
func (f *refreshes) expire() {
	now := time.Now()
	n := 0
	for n < len(f.recent) && now.After(f.recent[n].until) {
		if c := f.recent[n]; f.calls[c.key] == c {
			delete(f.calls, c.key)
		}
		f.recent[n] = nil
		n++
	}
	f.recent = f.recent[n:]
}
