package dpop

import (
	"context"
	"sync"
	"time"
)

// MemoryReplay is a ReplayCache for one process, holding at most its size
// of keys. Keys live in two generations: new keys go to the current one,
// and the older one is dropped whole once every key in it has expired, so
// no call ever scans the cache. When full it refuses new proofs (UseOnce
// answers ErrFull) rather than forget a live key, which would let that
// proof be replayed: size it above the proofs two windows can bring. It is
// safe for concurrent use.
type MemoryReplay struct {
	mu        sync.Mutex
	size      int
	now       func() time.Time
	cur, prev generation
}

type generation struct {
	keys map[string]time.Time
	// until is when the last key of the generation expires.
	until time.Time
}

// ErrFull is MemoryReplay's answer when every slot holds a live key.
var ErrFull = errFull{}

type errFull struct{}

// Error names the condition; the cache's size is for its owner to tune.
func (errFull) Error() string { return "dpop: replay cache full" }

// NewMemoryReplay returns a MemoryReplay of size keys (zero means
// 100000) on clock now (nil means time.Now).
func NewMemoryReplay(size int, now func() time.Time) *MemoryReplay {
	if size <= 0 {
		size = 100000
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryReplay{size: size, now: now, cur: generation{keys: map[string]time.Time{}}}
}

// UseOnce implements ReplayCache.
func (m *MemoryReplay) UseOnce(_ context.Context, key string, expiresAt time.Time) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, g := range [...]*generation{&m.cur, &m.prev} {
		if exp, ok := g.keys[key]; ok && now.Before(exp) {
			return ErrReplay
		}
	}
	switch {
	case !now.Before(m.cur.until) && !now.Before(m.prev.until):
		// Every key has expired: both generations go. Moving the current
		// one to the older would keep counting its dead keys, and a cache
		// of one key would then stay full for good.
		m.prev, m.cur = generation{}, generation{keys: map[string]time.Time{}}
	case len(m.cur.keys) > 0 && !now.Before(m.prev.until):
		m.prev, m.cur = m.cur, generation{keys: map[string]time.Time{}}
	}
	if len(m.cur.keys)+len(m.prev.keys) >= m.size {
		return ErrFull
	}
	m.cur.keys[key] = expiresAt
	if expiresAt.After(m.cur.until) {
		m.cur.until = expiresAt
	}
	return nil
}
