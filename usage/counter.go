package usage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/portcullis/portcullis/internal/backoff"
	"github.com/portcullis/portcullis/store"
)

// Metrics: what a stored usage count counts (store.UsageCount.Metric),
// and what its Detail says.
const (
	// MetricTokensIssued counts access tokens issued; Detail is the grant
	// type. A token for several APIs counts once under each.
	MetricTokensIssued = "tokens_issued"
	// MetricIntrospections counts introspection answers, by the calling
	// client and the token's API; Detail is Active or Inactive.
	MetricIntrospections = "introspections"
	// MetricAPICalls counts requests the gateway (or a guard) judged;
	// Detail is "allowed" or the refusal's reason (guard.Outcome).
	MetricAPICalls = "api_calls"
	// MetricRateLimited counts requests a rate limit refused; Detail
	// names the limit.
	MetricRateLimited = "rate_limited"
)

// Introspection outcomes (Event.Outcome of Introspected).
const (
	Active   = "active"
	Inactive = "inactive"
)

// Overflow is the client of the counts of clients the Counter had no room
// left to tell apart (see CounterOptions.MaxRows).
const Overflow = "*"

// Reasons counts are dropped, for CounterOptions.Dropped.
const (
	// DropOverflow: past MaxRows and its overflow room.
	DropOverflow = "overflow"
	// DropStoreError: the store refused a batch at every attempt.
	DropStoreError = "store_error"
	// DropShutdown: Close ran out of time.
	DropShutdown = "shutdown"
)

// DropReasons are every reason counts are dropped for.
var DropReasons = [...]string{DropOverflow, DropStoreError, DropShutdown}

// Defaults of CounterOptions.
const (
	DefaultMaxRows         = 100000
	DefaultInterval        = time.Minute
	DefaultShutdownTimeout = 5 * time.Second
	// DefaultRetention is how long usage counts are kept unless
	// configured otherwise (usage_retention).
	DefaultRetention = 400 * 24 * time.Hour
)

// Writer is the part of the store the Counter writes to.
type Writer interface {
	AddUsage(ctx context.Context, batch string, counts []store.UsageCount) error
}

// CounterOptions tune a Counter. Every zero value picks the default named.
type CounterOptions struct {
	// MaxRows bounds the rows (an hour, client, API, route, metric and
	// detail) counted between two flushes; zero means DefaultMaxRows,
	// about 150 bytes each. Clients, APIs and routes come from the
	// configuration and the store, so the rows are bounded anyway; this
	// bounds them when clients are many. Past it, a row of a client not
	// counted yet is counted under the client Overflow, so totals per API
	// and route stay right; past a tenth more, such counts are dropped
	// (DropOverflow).
	MaxRows int
	// Interval is the time between flushes; zero means DefaultInterval.
	Interval time.Duration
	// ShutdownTimeout bounds how long Close keeps trying to store what is
	// counted; zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// Dropped, if not nil, is told of the counts not stored: n events for
	// reason, one of DropReasons. It is called on request paths, so it
	// must be cheap and must not block.
	Dropped func(reason string, n int64)
	// Now tells the hour of events that carry no Time; nil means
	// time.Now.
	Now func() time.Time
}

// key is one row of counts.
type key struct {
	hour                       int64 // Unix seconds of the hour's start
	kind                       Kind
	client, api, route, detail string
}

// Counter is a Sink that counts events per hour, client, API, route and
// metric in memory, and adds the counts to the store in the background
// (flush.go). Observe never touches the store.
type Counter struct {
	w     Writer
	log   *slog.Logger
	opts  CounterOptions
	retry backoff.Schedule
	// overflowRows is MaxRows plus the room of the Overflow rows.
	overflowRows int

	mu     sync.Mutex
	counts map[key]int64

	// flushMu serialises flushes; pending is the batches of the last
	// snapshot not stored yet, retried before anything newer is taken.
	flushMu sync.Mutex
	pending []batch
	// batchPrefix is random per Counter and seq counts its batches: each
	// batch ID is unique across instances and restarts.
	batchPrefix string
	seq         uint64

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// NewCounter starts a Counter that writes to w every CounterOptions.Interval.
// Close it before the store.
func NewCounter(w Writer, log *slog.Logger, o CounterOptions) *Counter {
	c := newCounter(w, log, o)
	go c.run()
	return c
}

// newCounter builds a Counter without starting it, so that tests can
// shorten its backoff first.
func newCounter(w Writer, log *slog.Logger, o CounterOptions) *Counter {
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var p [8]byte
	_, _ = rand.Read(p[:]) // never fails (crypto/rand)
	return &Counter{
		w: w, log: log, opts: o, retry: backoff.StoreWrites, overflowRows: o.MaxRows + o.MaxRows/10,
		counts: map[key]int64{}, batchPrefix: hex.EncodeToString(p[:]) + "-",
		stop: make(chan struct{}), done: make(chan struct{}),
	}
}

// Observe implements Sink: it adds one to the event's row. Events of kinds
// the Counter does not count are ignored.
func (c *Counter) Observe(e Event) {
	k := key{kind: e.Kind, client: e.ClientID, api: e.Audience, route: e.Route}
	switch e.Kind {
	case TokenIssued:
		k.detail = e.GrantType
	case Introspected, APICall:
		k.detail = e.Outcome
	case RateLimited:
		k.detail = e.Limit
	default:
		return
	}
	t := e.Time
	if t.IsZero() {
		t = c.opts.Now()
	}
	k.hour = t.Unix() - t.Unix()%3600
	c.mu.Lock()
	if len(c.counts) < c.opts.MaxRows {
		c.counts[k]++
		c.mu.Unlock()
		return
	}
	ok := c.add(k)
	c.mu.Unlock()
	if !ok && c.opts.Dropped != nil {
		c.opts.Dropped(DropOverflow, 1)
	}
}

// add counts k in a full map: in its row if it has one, else in the
// Overflow row of its API, route and metric while there is room for it.
// c.mu is held.
func (c *Counter) add(k key) bool {
	if _, ok := c.counts[k]; ok {
		c.counts[k]++
		return true
	}
	k.client = Overflow
	if _, ok := c.counts[k]; ok || len(c.counts) < c.overflowRows {
		c.counts[k]++
		return true
	}
	return false
}

// metricOf is the stored name of what kind counts.
func metricOf(kind Kind) string {
	switch kind {
	case TokenIssued:
		return MetricTokensIssued
	case Introspected:
		return MetricIntrospections
	case APICall:
		return MetricAPICalls
	case RateLimited:
		return MetricRateLimited
	}
	return ""
}
