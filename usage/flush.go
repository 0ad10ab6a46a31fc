package usage

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/portcullis/portcullis/store"
)

const (
	// batchSize is the most rows one store write takes.
	batchSize = 500
	// writeTimeout bounds one store write.
	writeTimeout = 10 * time.Second
)

// batch is one store write: its ID, which makes a retry of it add
// nothing, its rows and its failed attempts.
type batch struct {
	id       string
	counts   []store.UsageCount
	failures int
}

// run flushes every interval, and sooner after a refused write, on the
// backoff schedule; counts keep accumulating in memory meanwhile.
func (c *Counter) run() {
	defer close(c.done)
	t := time.NewTimer(c.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			d := c.opts.Interval
			if err := c.Flush(context.Background()); err != nil {
				d = c.retryIn()
			}
			t.Reset(d)
		case <-c.stop:
			c.shutdown()
			return
		}
	}
}

// Flush adds to the store what the batches left over from an earlier
// flush hold, then what is counted now. A batch the store refuses stays
// pending, and nothing newer is taken until it is stored, so that its
// retry adds it once; one refused at every attempt of the schedule is
// dropped and counted (DropStoreError). The background loop calls Flush
// every interval; tests and Close call it too.
func (c *Counter) Flush(ctx context.Context) error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	if err := c.writePending(ctx); err != nil {
		return err
	}
	c.take()
	return c.writePending(ctx)
}

// take swaps the counts for an empty map and cuts them, sorted, into
// pending batches. Every instance sorts the same way, so that writers
// lock the rows they share in one order (store.Store.AddUsage).
// c.flushMu is held.
func (c *Counter) take() {
	c.mu.Lock()
	counts := c.counts
	c.counts = make(map[key]int64, len(counts))
	c.mu.Unlock()
	if len(counts) == 0 {
		return
	}
	rows := make([]store.UsageCount, 0, len(counts))
	for k, n := range counts {
		rows = append(rows, store.UsageCount{
			Hour: time.Unix(k.hour, 0).UTC(), ClientID: k.client, API: k.api, Route: k.route,
			Metric: metricOf(k.kind), Detail: k.detail, Count: n,
		})
	}
	slices.SortFunc(rows, compareRows)
	for chunk := range slices.Chunk(rows, batchSize) {
		c.seq++
		c.pending = append(c.pending, batch{id: c.batchPrefix + strconv.FormatUint(c.seq, 36), counts: chunk})
	}
}

// compareRows orders rows as the store's key does.
func compareRows(a, b store.UsageCount) int {
	return cmp.Or(a.Hour.Compare(b.Hour), cmp.Compare(a.ClientID, b.ClientID), cmp.Compare(a.API, b.API),
		cmp.Compare(a.Route, b.Route), cmp.Compare(a.Metric, b.Metric), cmp.Compare(a.Detail, b.Detail))
}

// writePending writes the pending batches in order, and stops at the
// first the store refuses. c.flushMu is held.
func (c *Counter) writePending(ctx context.Context) error {
	for len(c.pending) > 0 {
		b := &c.pending[0]
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		err := c.w.AddUsage(wctx, b.id, b.counts)
		cancel()
		if err == nil {
			c.pending = c.pending[1:]
			continue
		}
		b.failures++
		if b.failures < c.retry.Attempts {
			c.log.Warn("store usage counts; retrying", "rows", len(b.counts), "attempt", b.failures, "err", err)
			return err
		}
		c.log.Error("usage counts not stored: the store refused them at every attempt", "rows", len(b.counts), "attempts", b.failures, "err", err)
		c.drop(DropStoreError, b.counts)
		c.pending = c.pending[1:]
	}
	c.pending = nil
	return nil
}

// retryIn is the wait before the next attempt at the first pending batch.
func (c *Counter) retryIn() time.Duration {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	if len(c.pending) == 0 {
		return c.opts.Interval
	}
	return c.retry.Delay(c.pending[0].failures)
}

// drop counts the events of rows as dropped for reason.
func (c *Counter) drop(reason string, rows []store.UsageCount) {
	var n int64
	for _, r := range rows {
		n += r.Count
	}
	if n > 0 && c.opts.Dropped != nil {
		c.opts.Dropped(reason, n)
	}
}

// Close flushes what is counted, trying for at most the shutdown timeout,
// counts what it could not store (DropShutdown) and stops. Events
// observed after are not stored.
func (c *Counter) Close() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}

// shutdown is the last flush, retried until the shutdown timeout.
func (c *Counter) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.ShutdownTimeout)
	defer cancel()
	for c.Flush(ctx) != nil && ctx.Err() == nil {
		t := time.NewTimer(c.retryIn())
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	var lost []store.UsageCount
	for _, b := range c.pending {
		lost = append(lost, b.counts...)
	}
	c.pending = nil
	c.mu.Lock()
	for _, n := range c.counts {
		lost = append(lost, store.UsageCount{Count: n})
	}
	clear(c.counts)
	c.mu.Unlock()
	if len(lost) > 0 {
		c.log.Error("usage counts not stored at shutdown", "rows", len(lost))
		c.drop(DropShutdown, lost)
	}
}
