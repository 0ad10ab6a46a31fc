package usage

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// DefaultMaxKeys is NewMemory's bound when given zero.
const DefaultMaxKeys = 100_000

// shardCount spreads keys over locks, so that concurrent requests for
// different keys rarely wait for each other.
const shardCount = 64

// Memory is a Limiter in this process's memory, safe for concurrent use.
//
// Its memory is bounded: it holds at most the maxKeys given to NewMemory,
// each a 64-bit digest of the key and a 64-bit time (about 40 bytes with
// the map's overhead, so some 4 MB at DefaultMaxKeys), however many
// distinct keys callers send. A key whose allowance is whole again holds
// nothing: it is never stored, and is the first to go when room is
// needed. When a shard is full of keys still paying back their requests,
// it forgets a quarter of them at random; each forgotten key gets its
// whole burst again, which only happens once more than maxKeys keys are
// busy at once, an attacker's own addresses among them.
//
// Keys are digests with a random seed, so a caller cannot choose two keys
// that collide; two keys collide by chance with a probability of about
// maxKeys/2^64, and then share one allowance.
type Memory struct {
	seed     maphash.Seed
	now      func() time.Time
	perShard int
	shards   [shardCount]shard
}

type shard struct {
	mu sync.Mutex
	// tat is each key's theoretical arrival time (GCRA) in Unix
	// nanoseconds: when its allowance is whole again. Only times after
	// the present are kept.
	tat map[uint64]int64
}

// NewMemory returns a limiter holding at most maxKeys keys (zero means
// DefaultMaxKeys), that reads the time from now (nil means time.Now), so
// tests can move it.
func NewMemory(maxKeys int, now func() time.Time) *Memory {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	if now == nil {
		now = time.Now
	}
	m := &Memory{seed: maphash.MakeSeed(), now: now, perShard: max(maxKeys/shardCount, 1)}
	for i := range m.shards {
		m.shards[i].tat = map[uint64]int64{}
	}
	return m
}

// AllowN implements Limiter; it never fails. It is the GCRA of
// github.com/go-redis/redis_rate's script, in integer nanoseconds.
func (m *Memory) AllowN(_ context.Context, key string, l Limit, n int) (Result, error) {
	if !l.Enabled() {
		return Result{Allowed: true}, nil
	}
	h := maphash.String(m.seed, key)
	s := &m.shards[h>>58] // the top 6 bits: shardCount is 64
	now := m.now().UnixNano()
	t := int64(l.interval())
	s.mu.Lock()
	defer s.mu.Unlock()
	tat, ok := s.tat[h]
	if !ok || tat < now {
		tat = now
	}
	next := tat + t*int64(n)
	diff := now - (next - t*int64(l.Allowance()))
	if diff < 0 {
		return Result{RetryAfter: time.Duration(-diff), ResetAfter: time.Duration(tat - now)}, nil
	}
	if next > now {
		if !ok {
			s.makeRoom(m.perShard, now)
		}
		s.tat[h] = next
	} else if ok {
		delete(s.tat, h)
	}
	return Result{Allowed: true, Remaining: int(diff / t), ResetAfter: time.Duration(next - now)}, nil
}

// makeRoom frees a place for one more key when the shard is full: first
// every key whose allowance is whole again, then, if that leaves it more
// than three quarters full, random keys down to that. So a full sweep
// happens at most once per quarter of a shard's inserts.
func (s *shard) makeRoom(limit int, now int64) {
	if len(s.tat) < limit {
		return
	}
	for k, tat := range s.tat {
		if tat <= now {
			delete(s.tat, k)
		}
	}
	keep := limit * 3 / 4
	for k := range s.tat {
		if len(s.tat) <= keep {
			break
		}
		delete(s.tat, k)
	}
}

// Len is how many keys the limiter holds.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.tat)
		s.mu.Unlock()
	}
	return n
}
