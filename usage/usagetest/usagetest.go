// Package usagetest helps tests watch what the parts of Portcullis report
// as usage events.
package usagetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/usage"
)

// Recorder is a usage.Sink that keeps the events it is told of. It is
// safe for concurrent use.
type Recorder struct {
	// Kinds, when set, are the only kinds kept.
	Kinds []usage.Kind

	mu     sync.Mutex
	events []usage.Event
}

// Observe implements usage.Sink.
func (r *Recorder) Observe(e usage.Event) {
	if len(r.Kinds) > 0 && !slices.Contains(r.Kinds, e.Kind) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// Events returns the events kept so far.
func (r *Recorder) Events() []usage.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Take returns the events kept so far and forgets them.
func (r *Recorder) Take() []usage.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.events
	r.events = nil
	return got
}

// Await waits up to 10 seconds for n events, then takes them (fewer if
// they did not come). Parts may report an event after the client has
// read the answer; waiting keeps a test from depending on the order.
func (r *Recorder) Await(t testing.TB, n int) []usage.Event {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		r.mu.Lock()
		enough := len(r.events) >= n
		r.mu.Unlock()
		if enough || time.Now().After(deadline) {
			return r.Take()
		}
	}
}
