package users

import (
	"sync"
	"time"
)

// Throttle slows down password guessing. Each attempt for a key (an account
// at a client address, or a client address) is counted as failed before it
// is evaluated: after FreeAttempts failures within Window, the key is
// locked for a delay that starts at 1 s and doubles with each further
// failure, up to MaxDelay. Success clears an account's key; an attempt that
// turns out not to be a failure is taken back with Refund. It is in memory;
// a deployment with several instances shares counters through Redis
// instead.
type Throttle struct {
	// FreeAttempts failures are allowed before delays start: that many
	// attempts pass at once, the next one waits.
	FreeAttempts int
	// Window is how long a failure counts, from a key's last failure.
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
// minutes, then delays from 1 s doubling up to 15 minutes. Its keys are an
// account at one client address (LoginKeys), so that guesses from
// elsewhere cannot lock the owner out.
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
// means an attempt may be made now. It counts nothing.
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

// Try checks and counts in one step: if no key must wait, it counts the
// attempt as failed before it is made and returns zero; otherwise it counts
// nothing and returns the wait. Concurrent attempts cannot all pass the
// check before any counts: of any number, exactly FreeAttempts pass.
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

// fail counts a failure for each key; t.mu must be held.
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
		if over := e.failures - t.FreeAttempts; over >= 0 {
			e.lockedUntil = now.Add(min(time.Second<<min(over, 20), t.MaxDelay))
		}
	}
}

// Refund takes back one attempt Try counted, for an attempt that was not a
// failure after all (a success at an address, or one never evaluated). A
// key left with fewer than FreeAttempts failures is unlocked.
func (t *Throttle) Refund(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range keys {
		e := t.entries[k]
		if e == nil || now.Sub(e.last) > t.Window || e.failures == 0 {
			continue
		}
		e.failures--
		if e.failures < t.FreeAttempts {
			e.lockedUntil = time.Time{}
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
