package audit

import (
	"fmt"
	"log/slog"
	"sync/atomic"
)

// Reasons an event is not stored: the values of the drop metric's label.
const (
	// DropBufferFull: the buffer was full (the store is down or slower
	// than the events come).
	DropBufferFull = "buffer_full"
	// DropStoreError: the store refused the event's batch at every
	// attempt of the retry schedule (about six minutes).
	DropStoreError = "store_error"
	// DropShutdown: Close's deadline passed before the event was stored.
	DropShutdown = "shutdown"
)

// DropReasons lists every reason, so that metrics can create each series
// up front and a reason outside the set is noticed.
var DropReasons = [...]string{DropBufferFull, DropStoreError, DropShutdown}

// drops counts the events not stored, by reason, since the last summary.
type drops struct {
	counts [len(DropReasons)]atomic.Int64
	report func(reason string, n int)
}

// add counts n events lost for reason and reports them at once, so the
// metric never lags the loss.
func (d *drops) add(reason string, n int) {
	for i, r := range DropReasons {
		if r == reason {
			d.counts[i].Add(int64(n))
		}
	}
	if d.report != nil {
		d.report(reason, n)
	}
}

// summarise logs one line for the events lost since its last call, with
// the count of each reason, and nothing if none were.
func (d *drops) summarise(log *slog.Logger) {
	var total int64
	attrs := make([]any, 0, 2*len(DropReasons))
	for i, r := range DropReasons {
		if n := d.counts[i].Swap(0); n > 0 {
			total += n
			attrs = append(attrs, r, n)
		}
	}
	if total > 0 {
		log.Warn(fmt.Sprintf("dropped %d audit events", total), attrs...)
	}
}
