package audit

import (
	"sync"

	"github.com/portcullis/portcullis/store"
)

// minQueue is the capacity a queue starts with when an event comes.
const minQueue = 64

// queue is the bounded buffer between Record and the writer: a ring
// that grows, by doubling, up to its bound. Unlike a channel of the same
// bound, which holds (and has the garbage collector scan at every cycle)
// Buffer events' worth of memory from the start, 2.7 MB at
// DefaultBuffer, it holds what a burst needed, until shrink.
type queue struct {
	mu   sync.Mutex
	ring []store.AuditEvent
	head int // index of the oldest event
	n    int // events waiting
	max  int
	// ready has a value while events wait: the writer selects on it.
	ready chan struct{}
}

func newQueue(max int) *queue {
	return &queue{max: max, ready: make(chan struct{}, 1)}
}

// push adds e, or reports false when max events already wait.
func (q *queue) push(e store.AuditEvent) bool {
	q.mu.Lock()
	if q.n >= q.max {
		q.mu.Unlock()
		return false
	}
	if q.n == len(q.ring) {
		q.resize(min(max(2*len(q.ring), minQueue), q.max))
	}
	q.ring[(q.head+q.n)%len(q.ring)] = e
	q.n++
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// resize moves the waiting events to a ring of size c >= q.n.
func (q *queue) resize(c int) {
	ring := make([]store.AuditEvent, c)
	k := copy(ring, q.ring[q.head:min(q.head+q.n, len(q.ring))])
	copy(ring[k:q.n], q.ring)
	q.ring, q.head = ring, 0
}

// take moves up to n waiting events, oldest first, to the end of dst.
// Events left waiting keep ready set.
func (q *queue) take(dst []store.AuditEvent, n int) []store.AuditEvent {
	q.mu.Lock()
	defer q.mu.Unlock()
	for n = min(n, q.n); n > 0; n-- {
		dst = append(dst, q.ring[q.head])
		q.ring[q.head] = store.AuditEvent{} // drop the references the ring would keep
		q.head = (q.head + 1) % len(q.ring)
		q.n--
	}
	if q.n > 0 {
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
	return dst
}

// shrink lets the ring go when no event waits, so that a burst does not
// keep its memory for good.
func (q *queue) shrink() {
	q.mu.Lock()
	if q.n == 0 {
		q.ring, q.head = nil, 0
	}
	q.mu.Unlock()
}

// drain empties the queue and returns how many events it held.
func (q *queue) drain() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := q.n
	q.ring, q.head, q.n = nil, 0, 0
	return n
}
