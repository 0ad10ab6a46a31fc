// Package ratelimit bounds what callers who need not authenticate can make
// a process hold: each admitted request holds a slot until the thing it
// created expires or is used up, and a key (a client address) may hold only
// so many slots, all keys together only so many more. The limiter's own
// memory is bounded by the same total.
package ratelimit

import (
	"strconv"
	"sync"
	"time"
)

// Limiter counts live slots per key and in total. It is safe for
// concurrent use. Its counts are one process's: several instances each
// admit up to the limits.
type Limiter struct {
	perKey, total int

	mu sync.Mutex
	// keys holds each key's live (or not yet pruned) slots; a key without
	// slots is deleted, so there are never more keys than slots.
	keys map[string][]slot
	// owners finds the key of a releasable slot by its ID.
	owners map[string]string
	// live counts the slots in keys.
	live int
	// sweepAt is a time before which no slot expires, so a sweep of every
	// key before it would free nothing.
	sweepAt time.Time
}

type slot struct {
	id    string
	until time.Time
}

// New returns a limiter that lets one key hold perKey slots and all keys
// together total. Both must be positive.
func New(perKey, total int) *Limiter {
	return &Limiter{perKey: perKey, total: total, keys: map[string][]slot{}, owners: map[string]string{}}
}

// Take holds a slot for key from now until until, or, when key or the
// limiter is full, says how long until a slot frees. An empty key counts
// in the total only, for callers who answer for what they hold. id names
// the slot for Release; an empty id makes a slot that only expires. An id
// must not be taken twice while its slot lives.
func (l *Limiter) Take(key, id string, now, until time.Time) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	slots := l.prune(key, now)
	if key != "" && len(slots) >= l.perKey {
		first := slots[0].until
		for _, s := range slots[1:] {
			first = minTime(first, s.until)
		}
		return false, first.Sub(now)
	}
	if l.live >= l.total && !now.Before(l.sweepAt) {
		l.sweep(now)
		slots = l.keys[key]
	}
	if l.live >= l.total {
		return false, l.sweepAt.Sub(now)
	}
	l.keys[key] = append(slots, slot{id, until})
	l.live++
	if id != "" {
		l.owners[id] = key
	}
	if l.live == 1 || until.Before(l.sweepAt) {
		l.sweepAt = until
	}
	return true, 0
}

// Release frees the slot taken under id, when what it counted was used
// up before it expired. An unknown or expired id is ignored.
func (l *Limiter) Release(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key, ok := l.owners[id]
	if !ok {
		return
	}
	delete(l.owners, id)
	slots := l.keys[key]
	for i, s := range slots {
		if s.id == id {
			l.set(key, append(slots[:i], slots[i+1:]...))
			l.live--
			return
		}
	}
}

// prune drops key's expired slots and returns the live ones.
func (l *Limiter) prune(key string, now time.Time) []slot {
	slots := l.keys[key]
	live := slots[:0]
	for _, s := range slots {
		if now.Before(s.until) {
			live = append(live, s)
			continue
		}
		l.live--
		if s.id != "" {
			delete(l.owners, s.id)
		}
	}
	l.set(key, live)
	return live
}

// sweep prunes every key and moves sweepAt to the first expiry left.
func (l *Limiter) sweep(now time.Time) {
	l.sweepAt = time.Time{}
	for key := range l.keys {
		for _, s := range l.prune(key, now) {
			if l.sweepAt.IsZero() || s.until.Before(l.sweepAt) {
				l.sweepAt = s.until
			}
		}
	}
}

// set stores key's slots, deleting the key when it has none.
func (l *Limiter) set(key string, slots []slot) {
	if len(slots) == 0 {
		delete(l.keys, key)
		return
	}
	l.keys[key] = slots
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// RetryAfter is the value of a Retry-After header (RFC 9110 section
// 10.2.3) for a wait of d: whole seconds, rounded up, at least 1.
func RetryAfter(d time.Duration) string {
	s := max(int64((d+time.Second-1)/time.Second), 1)
	return strconv.FormatInt(s, 10)
}
