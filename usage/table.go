package usage

import (
	"hash/maphash"
	"strings"
	"sync"
)

// tableShards splits each table so that requests touching different keys
// rarely wait for one another.
const tableShards = 16

// maxKeyBytes bounds the bytes of a key a table keeps: a longer key (a
// made-up client_id, say) is cut, and a new key is copied, not kept as a
// slice of the caller's string (a request body, say), so an entry's size
// does not depend on what a caller sends.
const maxKeyBytes = 256

// table is a bounded map from keys to a detector's state for each: at
// most limit keys per shard, so about maxKeys in all, whatever number of
// distinct keys arrives; when a shard is full its least recently updated
// key is forgotten. Forgetting only loses history, which can delay a
// detection but never raise a false one.
type table[V any] struct {
	seed   maphash.Seed
	shards [tableShards]tableShard[V]
}

type tableShard[V any] struct {
	mu    sync.Mutex
	m     map[string]*node[V]
	head  node[V] // sentinel of a ring: head.next is the most recent
	limit int
}

type node[V any] struct {
	key        string
	prev, next *node[V]
	val        V
}

// newTable returns a table of at most maxKeys keys, rounded up to a
// multiple of tableShards.
func newTable[V any](maxKeys int) *table[V] {
	t := &table[V]{seed: maphash.MakeSeed()}
	for i := range t.shards {
		s := &t.shards[i]
		s.limit = max(1, (maxKeys+tableShards-1)/tableShards)
		s.m = make(map[string]*node[V])
		s.head.next, s.head.prev = &s.head, &s.head
	}
	return t
}

// update runs f on the state of key, under the shard's lock, creating the
// state (fresh is true, val the zero V) if the key is not held. f must be
// quick and must not block: it runs on request paths.
func (t *table[V]) update(key string, f func(v *V, fresh bool)) {
	if len(key) > maxKeyBytes {
		key = key[:maxKeyBytes]
	}
	s := &t.shards[t.shardOf(key)]
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.m[key]
	if ok {
		n.unlink()
	} else {
		if len(s.m) >= s.limit {
			old := s.head.prev
			old.unlink()
			delete(s.m, old.key)
		}
		key = strings.Clone(key)
		n = &node[V]{key: key}
		s.m[key] = n
	}
	n.prev, n.next = &s.head, s.head.next
	s.head.next.prev = n
	s.head.next = n
	f(&n.val, !ok)
}

// shardOf is the shard that holds key.
func (t *table[V]) shardOf(key string) uint64 { return maphash.String(t.seed, key) % tableShards }

func (n *node[V]) unlink() {
	n.prev.next, n.next.prev = n.next, n.prev
}

// len returns how many keys t holds.
func (t *table[V]) len() int {
	total := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		total += len(s.m)
		s.mu.Unlock()
	}
	return total
}
