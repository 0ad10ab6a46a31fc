package tokencache

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestKeyOf(t *testing.T) {
	long := strings.Repeat("t", 3000)
	for _, tc := range []struct {
		name string
		a, b string
		same bool
	}{
		{name: "same token", a: "abc", b: "abc", same: true},
		{name: "other token", a: "abc", b: "abd"},
		{name: "prefix", a: "abc", b: "abcd"},
		{name: "over the stack buffer", a: long, b: long, same: true},
		{name: "over the stack buffer, last byte differs", a: long, b: long[:2999] + "u"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := KeyOf(tc.a) == KeyOf(tc.b); got != tc.same {
				t.Fatalf("KeyOf equal = %v, want %v", got, tc.same)
			}
		})
	}
}

func TestCache(t *testing.T) {
	for _, tc := range []struct {
		name  string
		until int64
		at    int64
		found bool
	}{
		{name: "before until", until: 100, at: 99, found: true},
		{name: "at until", until: 100, at: 100},
		{name: "after until", until: 100, at: 101},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New[string](10)
			c.Put(KeyOf("tok"), "verdict", tc.until, 0)
			v, ok := c.Get(KeyOf("tok"), tc.at)
			if ok != tc.found || ok && v != "verdict" {
				t.Fatalf("Get = %q, %v; want found %v", v, ok, tc.found)
			}
		})
	}
}

// TestCacheBound fills the cache past its size: it never holds more than
// size entries, drops expired entries first, and replacing an entry of a
// full cache evicts nothing.
func TestCacheBound(t *testing.T) {
	c := New[int](100)
	for i := range 100 {
		until := int64(1000)
		if i%2 == 0 {
			until = 10 // expired at now = 50
		}
		c.Put(KeyOf(fmt.Sprint(i)), i, until, 0)
	}
	c.Put(KeyOf("1"), -1, 1000, 50)
	if c.len() != 100 {
		t.Fatalf("replacing an entry changed the size to %d", c.len())
	}
	c.Put(KeyOf("new"), 1, 1000, 50)
	if c.len() != 51 {
		t.Fatalf("after a put into a full cache with 50 expired entries: %d entries, want 51", c.len())
	}
	for i := range 1000 {
		c.Put(KeyOf(fmt.Sprint("more", i)), i, 1000, 50)
		if c.len() > 100 {
			t.Fatalf("%d entries, bound 100", c.len())
		}
	}
	if v, ok := c.Get(KeyOf("more999"), 50); !ok || v != 999 {
		t.Fatalf("the latest entry is missing: %v %v", v, ok)
	}
}

func TestCacheConcurrent(t *testing.T) {
	c := New[int](64)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				k := KeyOf(fmt.Sprint(g, i%100))
				c.Put(k, i, 1000, 0)
				c.Get(k, 0)
			}
		})
	}
	wg.Wait()
	if c.len() > 64 {
		t.Fatalf("%d entries, bound 64", c.len())
	}
}

// len is the number of entries, expired ones included.
func (c *Cache[V]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
