// Package tokencache owns the bounded memory of verdicts on tokens that the
// guard (validated callers) and the authorization server's introspection
// (verified access tokens) share: entries keyed by the token's SHA-256,
// each in force until a time, the whole cache bounded in size.
package tokencache

import (
	"crypto/sha256"
	"sync"
)

// Key is the cache key of a token: its SHA-256, so the cache never holds a
// usable credential.
type Key [sha256.Size]byte

// KeyOf computes the key without allocating for tokens up to 2 KiB
// (Portcullis access tokens are under 1 KiB): converting the string to a
// slice would otherwise put a copy on the heap for every request.
func KeyOf(token string) Key {
	var buf [2048]byte
	if len(token) <= len(buf) {
		n := copy(buf[:], token)
		return sha256.Sum256(buf[:n])
	}
	return sha256.Sum256([]byte(token))
}

type item[V any] struct {
	v V
	// until is when the entry stops being used, in Unix nanoseconds.
	until int64
}

// Cache maps token keys to verdicts of type V, holding at most size
// entries. It is safe for concurrent use.
type Cache[V any] struct {
	mu   sync.RWMutex
	m    map[Key]item[V]
	size int
}

// New returns a cache of at most size entries.
func New[V any](size int) *Cache[V] {
	return &Cache[V]{m: make(map[Key]item[V]), size: size}
}

// Get returns the verdict for k if it is still in force at now (Unix
// nanoseconds).
func (c *Cache[V]) Get(k Key, now int64) (V, bool) {
	c.mu.RLock()
	it, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || now >= it.until {
		var zero V
		return zero, false
	}
	return it.v, true
}

// Put stores v under k until the Unix nanosecond until. When the cache is
// full it first drops expired entries and then, if that was not enough, a
// tenth of the entries chosen by map order (effectively at random), which
// keeps insertion cheap on average without the bookkeeping of an LRU list.
func (c *Cache[V]) Put(k Key, v V, until, now int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.size {
		for key, old := range c.m {
			if now >= old.until {
				delete(c.m, key)
			}
		}
		for key := range c.m {
			if len(c.m) < c.size-c.size/10 {
				break
			}
			delete(c.m, key)
		}
	}
	c.m[k] = item[V]{v: v, until: until}
}
