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

// NewThrottle returns the account throttle: 5 free attempts per 15
// minutes, then delays from 1 s doubling up to 15 minutes.
func NewThrottle() *Throttle {
	return &Throttle{FreeAttempts: 5, Window: 15 * time.Minute, MaxDelay: 15 * time.Minute}
}

// NewAddressThrottle returns the client address throttle: 50 free attempts
// per 15 minutes, since many people may share one address (an office NAT);
// it stops a spray of guesses across accounts, not a person.
func NewAddressThrottle() *Throttle {
	return &Throttle{FreeAttempts: 50, Window: 15 * time.Minute, MaxDelay: 15 * time.Minute}
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
	return t.wait(t.now(), keys)
}

// wait is the longest lock among keys; t.mu must be held.
func (t *Throttle) wait(now time.Time, keys []string) time.Duration {
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
	t.fail(t.now(), keys)
}

// Try is Wait and Fail in one step: if no key must wait, it counts the
// attempt as failed before it is made and returns zero; Succeed clears it.
// Concurrent attempts cannot all pass the check before any counts.
func (t *Throttle) Try(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	wait := t.wait(now, keys)
	if wait == 0 {
		t.fail(now, keys)
	}
	return wait
}

func (t *Throttle) fail(now time.Time, keys []string) {
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

// maxEntries bounds the memory of a throttle under a spray of usernames.
const maxEntries = 100000

// sweep drops entries whose failures no longer count. If the table is still
// full it drops unlocked entries at random: a sprayer loses the counts of
// some accounts it barely touched, never a lock.
func (t *Throttle) sweep(now time.Time) {
	if len(t.entries) < maxEntries {
		return
	}
	for k, e := range t.entries {
		if now.Sub(e.last) > t.Window && !e.lockedUntil.After(now) {
			delete(t.entries, k)
		}
	}
	for k, e := range t.entries {
		if len(t.entries) < maxEntries*9/10 {
			break
		}
		if !e.lockedUntil.After(now) {
			delete(t.entries, k)
		}
	}
}
