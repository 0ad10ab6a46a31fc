package audit

import (
	"testing"

	"github.com/portcullis/portcullis/store"
)

func TestQueue(t *testing.T) {
	q := newQueue(3)
	select {
	case <-q.ready:
		t.Fatal("an empty queue is ready")
	default:
	}
	for i, want := range []bool{true, true, true, false} {
		if got := q.push(store.AuditEvent{Type: string(rune('a' + i))}); got != want {
			t.Fatalf("push %d = %v, want %v", i, got, want)
		}
	}
	<-q.ready
	got := q.take(nil, 2)
	if len(got) != 2 || got[0].Type != "a" || got[1].Type != "b" {
		t.Fatalf("take 2 = %+v, want a, b", got)
	}
	select {
	case <-q.ready: // one event still waits
	default:
		t.Fatal("a queue with an event left is not ready")
	}
	if !q.push(store.AuditEvent{Type: "d"}) {
		t.Fatal("push after take refused")
	}
	if got = q.take(got[:0], 10); len(got) != 2 || got[0].Type != "c" || got[1].Type != "d" {
		t.Fatalf("take 10 = %+v, want c, d", got)
	}
	if n := q.drain(); n != 0 {
		t.Fatalf("drain of an empty queue = %d", n)
	}
}

// The ring keeps the order across its growth and wrap, and an emptied
// queue lets a burst's ring go at shrink.
func TestQueueRing(t *testing.T) {
	q := newQueue(1000)
	next, want := 0, 0
	push := func(k int) {
		for range k {
			if !q.push(store.AuditEvent{UID: string(rune(next))}) {
				t.Fatalf("push %d refused", next)
			}
			next++
		}
	}
	check := func(k int) {
		for _, e := range q.take(nil, k) {
			if e.UID != string(rune(want)) {
				t.Fatalf("took %q, want %q", e.UID, string(rune(want)))
			}
			want++
		}
	}
	push(50)
	check(40) // head at 40 of 64
	push(100) // wraps, then grows with the wrap in place
	check(30)
	push(500)
	check(1000)
	if want != next {
		t.Fatalf("took %d events, pushed %d", want, next)
	}
	push(1)
	q.shrink()
	if len(q.ring) == 0 {
		t.Fatal("shrink let a ring with an event waiting go")
	}
	check(1)
	q.shrink()
	if len(q.ring) != 0 {
		t.Errorf("ring after shrink of an empty queue %d, want 0", len(q.ring))
	}
}
