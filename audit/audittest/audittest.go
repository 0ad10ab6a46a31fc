// Package audittest helps tests watch the security events the parts of
// Portcullis record.
package audittest

import (
	"context"
	"log/slog"
	"sync"

	"github.com/portcullis/portcullis/store"
)

// Log is an Auditor (authserver.Auditor, usage.Auditor) that keeps the
// events it is given. It is safe for concurrent use.
type Log struct {
	mu     sync.Mutex
	events []store.AuditEvent
}

// Record keeps e.
func (l *Log) Record(_ context.Context, _ slog.Level, e store.AuditEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// OfType returns the events of type typ kept so far, in order.
func (l *Log) OfType(typ string) []store.AuditEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []store.AuditEvent
	for _, e := range l.events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}
