package usage

import (
	"context"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portcullis/portcullis/store"
)

// SuspensionPoll is how often Suspensions.Run reads the store: a
// suspension written by another instance or the CLI, or ended by
// portcullis clients resume, takes effect within it.
const SuspensionPoll = 5 * time.Second

// SuspensionStore is the part of the store suspensions live in.
type SuspensionStore interface {
	ExtendSuspension(ctx context.Context, s store.Suspension) (time.Time, error)
	ListSuspensions(ctx context.Context, now time.Time) ([]store.Suspension, error)
}

// Suspensions is this instance's view of the clients suspended, read on
// every client authentication without touching the store: a map in memory,
// replaced as a whole from the store every SuspensionPoll, and at once for
// suspensions made here. It implements authserver.Suspensions.
type Suspensions struct {
	st  SuspensionStore
	now func() time.Time
	// mu orders the writers of until, so a reload that read the store
	// before a local suspension cannot drop it.
	mu    sync.Mutex
	until atomic.Pointer[map[string]time.Time]
}

// NewSuspensions returns a view of the suspensions in st, empty until Load
// or Run reads them. now is its clock; nil means time.Now.
func NewSuspensions(st SuspensionStore, now func() time.Time) *Suspensions {
	if now == nil {
		now = time.Now
	}
	s := &Suspensions{st: st, now: now}
	s.until.Store(&map[string]time.Time{})
	return s
}

// SuspendedUntil reports whether clientID is suspended, and until when.
func (s *Suspensions) SuspendedUntil(clientID string) (time.Time, bool) {
	u, ok := (*s.until.Load())[clientID]
	if !ok || !u.After(s.now()) {
		return time.Time{}, false
	}
	return u, true
}

// Load replaces the view with the suspensions in force in the store.
func (s *Suspensions) Load(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	list, err := s.st.ListSuspensions(ctx, s.now())
	if err != nil {
		return err
	}
	m := make(map[string]time.Time, len(list))
	for _, c := range list {
		m[c.ClientID] = c.Until
	}
	s.until.Store(&m)
	return nil
}

// Run calls Load every interval until ctx ends, logging failures; the view
// keeps its last contents meanwhile.
func (s *Suspensions) Run(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Load(ctx); err != nil && ctx.Err() == nil {
				log.Error("read client suspensions", "err", err)
			}
		}
	}
}

// Extend suspends c.ClientID until c.Until, unless a suspension lasting
// longer is in force, which it leaves alone: an automatic response never
// shortens an operator's decision, on this instance or another. It returns the end of
// the suspension in force.
func (s *Suspensions) Extend(ctx context.Context, c store.Suspension) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := *s.until.Load()
	if u, ok := cur[c.ClientID]; ok && !u.Before(c.Until) {
		return u, nil
	}
	// The store decides again: another instance or an operator may have
	// suspended the client for longer since this view was read.
	until, err := s.st.ExtendSuspension(ctx, c)
	if err != nil {
		return time.Time{}, err
	}
	m := maps.Clone(cur)
	m[c.ClientID] = until
	s.until.Store(&m)
	return until, nil
}
