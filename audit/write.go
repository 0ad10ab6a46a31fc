package audit

import (
	"context"
	"strconv"
	"time"

	"github.com/portcullis/portcullis/store"
)

const (
	// batchSize is the most events one store write takes.
	batchSize = 200
	// flushEvery is how long an event waits for others to share its
	// write.
	flushEvery = 200 * time.Millisecond
	// writeTimeout bounds one store write.
	writeTimeout = 10 * time.Second
)

// batch is the events of the next store write and its failed attempts.
type batch struct {
	events   []store.AuditEvent
	failures int
}

func (b *batch) reset() { b.events, b.failures = b.events[:0], 0 }

// run takes events from the buffer and stores them in batches; a refused
// batch is retried on the backoff schedule while new events wait in the
// buffer. Each interval it records the folded refusals and logs the drops.
func (r *Recorder) run() {
	defer close(r.done)
	flush := time.NewTicker(flushEvery)
	defer flush.Stop()
	interval := time.NewTicker(r.opts.Interval)
	defer interval.Stop()
	var b batch
	var retry <-chan time.Time // set while a refused batch waits
	write := func() {
		retry = nil
		if d := r.write(r.ctx, &b); d > 0 {
			retry = time.After(d)
		}
	}
	for {
		in := r.queue.ready
		if retry != nil {
			in = nil // the buffer holds new events until the batch is stored
		}
		select {
		case <-in:
			r.fill(&b)
			if len(b.events) >= batchSize {
				write()
			}
		case <-flush.C:
			if retry == nil {
				write()
			}
		case <-retry:
			write()
		case <-interval.C:
			r.recordFolded()
			r.drops.summarise(r.log)
			r.queue.shrink()
		case <-r.stop:
			r.shutdown(&b)
			return
		}
	}
}

// stamp gives e its UID, which makes a retried write store it once.
func (r *Recorder) stamp(e *store.AuditEvent) {
	r.seq++
	e.UID = r.uidPrefix + strconv.FormatUint(r.seq, 36)
}

// write tries once to store b. It returns the wait before the next
// attempt, or zero when b is done with: stored, or given up and counted.
func (r *Recorder) write(ctx context.Context, b *batch) time.Duration {
	if len(b.events) == 0 {
		return 0
	}
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	err := r.w.AppendAudit(wctx, b.events)
	cancel()
	if err == nil {
		b.reset()
		return 0
	}
	b.failures++
	if b.failures >= r.retry.Attempts {
		r.log.Error("audit events not stored: the store refused them at every attempt",
			"events", len(b.events), "attempts", b.failures, "err", err)
		r.drops.add(DropStoreError, len(b.events))
		b.reset()
		return 0
	}
	d := r.retry.Delay(b.failures)
	r.log.Warn("store audit events; retrying", "events", len(b.events), "attempt", b.failures, "retry_in", d, "err", err)
	return d
}

// recordFolded logs and queues the events that stand for the refusals
// folded in the interval that ended.
func (r *Recorder) recordFolded() {
	for _, f := range r.repeats.take() {
		r.logEvent(context.Background(), f.level, f.event)
		r.enqueue(f.event)
	}
}

// shutdown stores the pending batch, the folded refusals and the buffer,
// retrying until Close cancels r.ctx at the shutdown timeout, and counts
// what is left.
func (r *Recorder) shutdown(b *batch) {
	ctx := r.ctx
	r.recordFolded()
	for ctx.Err() == nil {
		r.fill(b)
		if len(b.events) == 0 {
			break
		}
		if d := r.write(ctx, b); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
	}
	if lost := len(b.events) + r.drain(); lost > 0 {
		r.drops.add(DropShutdown, lost)
	}
	r.drops.summarise(r.log)
}

// fill tops b up from the buffer without waiting.
func (r *Recorder) fill(b *batch) {
	n := len(b.events)
	b.events = r.queue.take(b.events, batchSize-n)
	for i := n; i < len(b.events); i++ {
		r.stamp(&b.events[i])
	}
}

// drain empties the buffer and returns how many events it held.
func (r *Recorder) drain() int { return r.queue.drain() }
