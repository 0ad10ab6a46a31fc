package usage

import (
	"sync"
	"time"
)

// Check asks the shared limiter about the failures of an address on every
// request, though nearly all of them succeed and count nothing: with
// Redis, that round trip was a third of an introspection's cost. So a Gate
// remembers, for clearFor, the keys that had clearMargin failures or more
// to spare, and answers Check for them from memory. Fail forgets the key
// before it counts the failure, so a key failing here is asked about again
// at once. Failures counted at other instances reach this one within
// clearFor: an address refused there may still have one failure answered
// here, which its first failure ends.
const (
	clearFor    = time.Second
	clearMargin = 2
	// clearMax bounds the memory: past it, the keys are all forgotten.
	clearMax = 10000
)

// clearKeys is that memory: key to the Result the shared limiter gave
// and until when it stands.
type clearKeys struct {
	mu sync.Mutex
	m  map[string]clearKey
}

type clearKey struct {
	res   Result
	until time.Time
}

func (c *clearKeys) get(key string, now time.Time) (Result, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[key]
	if !ok || !now.Before(k.until) {
		return Result{}, false
	}
	return k.res, true
}

func (c *clearKeys) put(key string, res Result, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= clearMax {
		c.m = make(map[string]clearKey)
	}
	c.m[key] = clearKey{res: res, until: now.Add(clearFor)}
}

func (c *clearKeys) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}
