// Package ratelog logs a repeated problem once per interval. A dependency
// that is down fails every call that uses it; one line per failure would
// bury everything else in the log and cost more than the calls themselves.
package ratelog

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// maxCauses bounds the causes a Logger remembers. Causes come from a fixed
// set in the code, so the bound is only reached by a caller that passes
// outside values as causes; then the oldest windows are forgotten.
const maxCauses = 1024

// Logger writes at most one line per cause per interval to a slog.Logger
// and counts the lines it left out. It is safe for concurrent use.
type Logger struct {
	log      *slog.Logger
	interval time.Duration
	// now returns the current time; tests replace it.
	now func() time.Time

	mu     sync.Mutex
	causes map[string]*window
}

// window is one cause's state: when its next line may be written, and how
// many lines were left out since its last one.
type window struct {
	next       time.Time
	suppressed int
}

// New returns a Logger writing to log at most one line per cause every
// interval. A nil log means slog.Default().
func New(log *slog.Logger, interval time.Duration) *Logger {
	if log == nil {
		log = slog.Default()
	}
	return &Logger{log: log, interval: interval, now: time.Now, causes: map[string]*window{}}
}

// Log writes msg with args at level, unless a line of the same cause was
// written less than the interval ago; then it only counts the line, and
// the next line of that cause carries the count as "suppressed". cause
// names the problem, not its instance: a constant message or a format
// string, never a value from outside (a key, an address, an error text).
// Lines left out after a cause's last written line are never reported.
func (l *Logger) Log(ctx context.Context, level slog.Level, cause, msg string, args ...any) {
	if !l.log.Enabled(ctx, level) {
		return
	}
	suppressed, ok := l.admit(cause)
	if !ok {
		return
	}
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	l.log.Log(ctx, level, msg, args...)
}

// admit reports whether a line of cause may be written now, and how many
// were left out before it.
func (l *Logger) admit(cause string) (suppressed int, ok bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.causes[cause]
	if w == nil {
		if len(l.causes) >= maxCauses {
			l.forget(now)
		}
		w = &window{}
		l.causes[cause] = w
	}
	if now.Before(w.next) {
		w.suppressed++
		return 0, false
	}
	suppressed, w.suppressed, w.next = w.suppressed, 0, now.Add(l.interval)
	return suppressed, true
}

// forget drops the causes whose window has passed, and every cause if none
// has, so that the map stays within maxCauses.
func (l *Logger) forget(now time.Time) {
	for c, w := range l.causes {
		if !now.Before(w.next) {
			delete(l.causes, c)
		}
	}
	if len(l.causes) >= maxCauses {
		clear(l.causes)
	}
}
