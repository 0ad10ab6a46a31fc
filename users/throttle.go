package users

import (
	"sync"
	"time"
)

// Throttle slows down password guessing. Each failure for a key (an account
// or a client address) makes the next attempt wait longer: after
// FreeAttempts failures within Window, the key is locked for a delay that
// doubles with each further failure, up to MaxDelay. Success clears it.
// It is in memory; a deployment with several instances shares counters
// through Redis instead.
type Throttle struct {
	// FreeAttempts failures are allowed before delays start.
	FreeAttempts int
	// Window is how long a failure counts.
	Window time.Duration
	// MaxDelay caps the lock time.
	MaxDelay time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	entries map[string]*throttleEntry
}

type throttleEntry struct {
	failures    int
	last        time.Time
	lockedUntil time.Time
}

// NewThrottle returns a Throttle with the defaults: 5 free attempts per
// 15 minutes, delays from 1 s doubling up to 15 minutes.
func NewThrottle() *Throttle {
	return &Throttle{FreeAttempts: 5, Window: 15 * time.Minute, MaxDelay: 15 * time.Minute}
}

func (t *Throttle) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Wait returns how long the keys must wait before the next attempt; zero
// means an attempt may be made now.
func (t *Throttle) Wait(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var wait time.Duration
	for _, k := range keys {
		if e := t.entries[k]; e != nil && e.lockedUntil.After(now) {
			wait = max(wait, e.lockedUntil.Sub(now))
		}
	}
	return wait
}

// Fail records a failed attempt for each key.
func (t *Throttle) Fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if t.entries == nil {
		t.entries = map[string]*throttleEntry{}
	}
	t.sweep(now)
	for _, k := range keys {
		e := t.entries[k]
		if e == nil || now.Sub(e.last) > t.Window {
			e = &throttleEntry{}
			t.entries[k] = e
		}
		e.failures++
		e.last = now
		if over := e.failures - t.FreeAttempts; over > 0 {
			delay := min(time.Second<<min(over-1, 20), t.MaxDelay)
			e.lockedUntil = now.Add(delay)
		}
	}
}

// Succeed clears the keys' failures.
func (t *Throttle) Succeed(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		delete(t.entries, k)
	}
}

// sweep drops entries whose failures no longer count, bounding memory under
// a spray of usernames.
func (t *Throttle) sweep(now time.Time) {
	if len(t.entries) < 10000 {
		return
	}
	for k, e := range t.entries {
		if now.Sub(e.last) > t.Window && !e.lockedUntil.After(now) {
			delete(t.entries, k)
		}
	}
}
