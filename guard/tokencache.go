package guard

import (
	"crypto/sha256"
	"sync"
)

// tokenKey is the cache key of a token: its SHA-256, so the cache never
// holds a usable credential.
type tokenKey [sha256.Size]byte

// hashToken computes the key without allocating for tokens up to 2 KiB
// (Portcullis access tokens are under 1 KiB): converting the string to a
// slice would otherwise put a copy on the heap for every request.
func hashToken(token string) tokenKey {
	var buf [2048]byte
	if len(token) <= len(buf) {
		n := copy(buf[:], token)
		return sha256.Sum256(buf[:n])
	}
	return sha256.Sum256([]byte(token))
}

// entry is a cached verdict on a token.
type entry struct {
	// caller is the validated caller; nil records an inactive answer from
	// introspection (negative caching).
	caller *Caller
	// until is when the entry stops being used, in Unix nanoseconds: the
	// token's exp for a JWT, the earlier of exp and the configured maximum
	// for introspection.
	until int64
	// jwt marks a locally verified token, valid only while the key set
	// generation gen is current.
	jwt bool
	gen uint64
}

// tokenCache maps token hashes to verdicts, holding at most size entries.
type tokenCache struct {
	mu   sync.RWMutex
	m    map[tokenKey]entry
	size int
}

func newTokenCache(size int) *tokenCache {
	return &tokenCache{m: make(map[tokenKey]entry), size: size}
}

// get returns the entry for k if it is still in force at now.
func (c *tokenCache) get(k tokenKey, now int64) (entry, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || now >= e.until {
		return entry{}, false
	}
	return e, true
}

// put stores e under k. When the cache is full it first drops expired
// entries and then, if that was not enough, a tenth of the entries chosen
// by map order (effectively at random), which keeps insertion cheap on
// average without the bookkeeping of an LRU list.
func (c *tokenCache) put(k tokenKey, e entry, now int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.size {
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
	c.m[k] = e
}
