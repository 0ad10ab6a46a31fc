package usage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/backoff"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/sqlite"
)

func openSQLite(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "u.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// fastRetry keeps the tests short: the schedule's shape, not its pace, is
// under test.
var fastRetry = backoff.Schedule{Base: time.Millisecond, Max: 4 * time.Millisecond, Attempts: 1000}

// start runs a Counter with the retry schedule b, closed when the test
// ends.
func start(t *testing.T, w Writer, o CounterOptions, b backoff.Schedule) *Counter {
	c := newCounter(w, slog.New(slog.DiscardHandler), o)
	c.retry = b
	go c.run()
	t.Cleanup(c.Close)
	return c
}

// drops is the Dropped hook of the tests: the metric.
type drops struct {
	mu sync.Mutex
	n  map[string]int64
}

func (d *drops) add(reason string, n int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == nil {
		d.n = map[string]int64{}
	}
	d.n[reason] += n
}

func (d *drops) get(reason string) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n[reason]
}

// t0 is 10:20 UTC; the counts of t0 go to the 10:00 row.
var t0 = time.Date(2025, 3, 10, 10, 20, 0, 0, time.UTC)

// query reads every hourly row of st.
func query(t *testing.T, st Reader, f Filter) []Row {
	t.Helper()
	rep, err := Query(context.Background(), st, f)
	if err != nil {
		t.Fatal(err)
	}
	return rep.Rows
}

// TestCounterRows observes each kind of event and reads the rows back
// through Query, by hour and by day.
func TestCounterRows(t *testing.T) {
	st := openSQLite(t)
	c := start(t, st, CounterOptions{Interval: time.Hour}, fastRetry)
	api := "https://api.example.com"
	for _, e := range []Event{
		{Kind: TokenIssued, Time: t0, ClientID: "svc", Subject: "svc", Audience: api, GrantType: "client_credentials"},
		{Kind: TokenIssued, Time: t0.Add(time.Minute), ClientID: "svc", Subject: "svc", Audience: api, GrantType: "client_credentials"},
		{Kind: TokenIssued, Time: t0, ClientID: "svc", Subject: "u1", Audience: api, GrantType: "refresh_token"},
		{Kind: Introspected, Time: t0, ClientID: "svc", Audience: api, Outcome: Active},
		{Kind: Introspected, Time: t0, ClientID: "svc", Outcome: Inactive},
		{Kind: APICall, Time: t0, ClientID: "svc", Subject: "svc", Audience: api, Route: "/users", TokenID: "j1", Address: "192.0.2.1", Outcome: "allowed"},
		{Kind: APICall, Time: t0, ClientID: "svc", Audience: api, Route: "/users", Outcome: "expired"},
		{Kind: APICall, Time: t0, Audience: api, Route: "/users", Outcome: "no_token"},
		{Kind: RateLimited, Time: t0, ClientID: "svc", Audience: api, Route: "/users", Limit: "gateway_route"},
		// The next hour, and a kind the Counter does not count.
		{Kind: APICall, Time: t0.Add(time.Hour), ClientID: "svc", Audience: api, Route: "/users", Outcome: "allowed"},
		{Kind: Kind(200), Time: t0, ClientID: "svc"},
	} {
		c.Observe(e)
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := t0.Truncate(time.Hour)
	want := []Row{
		{Period: h, API: api, Route: "/users", APICalls: map[string]int64{"no_token": 1}},
		{Period: h, ClientID: "svc", Introspections: map[string]int64{Inactive: 1}},
		{Period: h, ClientID: "svc", API: api, TokensIssued: map[string]int64{"client_credentials": 2, "refresh_token": 1}, Introspections: map[string]int64{Active: 1}},
		{Period: h, ClientID: "svc", API: api, Route: "/users", APICalls: map[string]int64{"allowed": 1, "expired": 1}, RateLimited: map[string]int64{"gateway_route": 1}},
		{Period: h.Add(time.Hour), ClientID: "svc", API: api, Route: "/users", APICalls: map[string]int64{"allowed": 1}},
	}
	if got := query(t, st, Filter{}); !equalRows(got, want) {
		t.Fatalf("rows by hour:\n%+v\nwant\n%+v", got, want)
	}
	day := []Row{{Period: h.Truncate(24 * time.Hour), ClientID: "svc", API: api, Route: "/users", APICalls: map[string]int64{"allowed": 2, "expired": 1}, RateLimited: map[string]int64{"gateway_route": 1}}}
	if got := query(t, st, Filter{ClientID: "svc", Route: "/users", By: ByDay}); !equalRows(got, day) || got[0].Allowed() != 2 || got[0].Refused() != 1 {
		t.Fatalf("rows by day:\n%+v\nwant\n%+v", got, day)
	}
	// Nothing new: a flush writes nothing and adds nothing twice.
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := query(t, st, Filter{}); !equalRows(got, want) {
		t.Fatalf("rows after an empty flush:\n%+v", got)
	}
}

func equalRows(got, want []Row) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.Period.Equal(w.Period) || g.ClientID != w.ClientID || g.API != w.API || g.Route != w.Route ||
			!maps.Equal(g.TokensIssued, w.TokensIssued) || !maps.Equal(g.Introspections, w.Introspections) ||
			!maps.Equal(g.APICalls, w.APICalls) || !maps.Equal(g.RateLimited, w.RateLimited) {
			return false
		}
	}
	return true
}

func TestQueryBy(t *testing.T) {
	st := openSQLite(t)
	tests := []struct {
		name string
		by   string
		err  error
	}{
		{"empty is hour", "", nil},
		{"hour", ByHour, nil},
		{"day", ByDay, nil},
		{"week", "week", ErrBy},
		{"case matters", "Day", ErrBy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Query(context.Background(), st, Filter{By: tt.by})
			if !errors.Is(err, tt.err) {
				t.Fatalf("Query(by %q): %v, want %v", tt.by, err, tt.err)
			}
			if err == nil && (rep.Rows == nil || rep.By == "") {
				t.Fatalf("Query(by %q) = %+v; want an empty list and the period", tt.by, rep)
			}
		})
	}
}

// TestQueryTruncated reads more counts than the limit: the report says so.
func TestQueryTruncated(t *testing.T) {
	st := openSQLite(t)
	c := start(t, st, CounterOptions{Interval: time.Hour}, fastRetry)
	for i := range 5 {
		c.Observe(Event{Kind: APICall, Time: t0, ClientID: fmt.Sprint("c", i), Outcome: "allowed"})
	}
	c.Flush(context.Background())
	tests := []struct {
		name      string
		limit     int
		rows      int
		truncated bool
	}{
		{"under", 6, 5, false},
		{"at", 5, 5, false},
		{"over", 3, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Query(context.Background(), st, Filter{Limit: tt.limit})
			if err != nil || len(rep.Rows) != tt.rows || rep.Truncated != tt.truncated {
				t.Fatalf("limit %d: %d rows, truncated %v, %v; want %d, %v", tt.limit, len(rep.Rows), rep.Truncated, err, tt.rows, tt.truncated)
			}
		})
	}
}

// TestCounterConcurrent has 50 goroutines observe while the background
// loop flushes every millisecond: after Close every event is stored once.
func TestCounterConcurrent(t *testing.T) {
	st := openSQLite(t)
	c := newCounter(st, slog.New(slog.DiscardHandler), CounterOptions{Interval: time.Millisecond})
	c.retry = fastRetry
	go c.run()
	const goroutines, each = 50, 1000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				c.Observe(Event{Kind: APICall, Time: t0, ClientID: fmt.Sprint("c", g%10), Route: fmt.Sprint("/r", i%3), Outcome: "allowed"})
			}
		})
	}
	wg.Wait()
	c.Close()
	var total int64
	for _, r := range query(t, st, Filter{}) {
		total += r.Allowed()
	}
	if total != goroutines*each {
		t.Fatalf("stored %d calls, want %d", total, goroutines*each)
	}
}

// TestCounterOverflow fills the rows: a new client's counts go to the
// Overflow row of their API, route and metric, and past its room they
// are dropped and counted.
func TestCounterOverflow(t *testing.T) {
	st := openSQLite(t)
	var d drops
	c := start(t, st, CounterOptions{Interval: time.Hour, MaxRows: 10, Dropped: d.add}, fastRetry)
	call := func(client, route string) Event {
		return Event{Kind: APICall, Time: t0, ClientID: client, Audience: "https://api", Route: route, Outcome: "allowed"}
	}
	for i := range 10 {
		c.Observe(call(fmt.Sprint("c", i), "/a"))
	}
	c.Observe(call("c0", "/a"))   // a known row: counted in it
	c.Observe(call("new1", "/a")) // the 11th row: Overflow for /a
	c.Observe(call("new2", "/a")) // the same Overflow row
	c.Observe(call("new3", "/b")) // no room for an Overflow row of /b
	if got := d.get(DropOverflow); got != 1 {
		t.Fatalf("dropped %d, want 1", got)
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows := query(t, st, Filter{})
	byClient := map[string]int64{}
	for _, r := range rows {
		byClient[r.ClientID] += r.Allowed()
	}
	if len(rows) != 11 || byClient["c0"] != 2 || byClient[Overflow] != 2 || byClient["new3"] != 0 {
		t.Fatalf("rows %d, calls by client %v; want 11 rows, c0 2, %q 2", len(rows), byClient, Overflow)
	}
	// A flush empties the map: new clients have room again.
	c.Observe(call("new4", "/b"))
	c.Flush(context.Background())
	if rows := query(t, st, Filter{ClientID: "new4"}); len(rows) != 1 {
		t.Fatalf("after a flush, new4: %+v", rows)
	}
}

// lostAnswer is a store whose writes commit but whose answer is lost the
// first times: the retry must add nothing twice.
type lostAnswer struct {
	Writer
	lose atomic.Int32
}

func (l *lostAnswer) AddUsage(ctx context.Context, batch string, counts []store.UsageCount) error {
	if err := l.Writer.AddUsage(ctx, batch, counts); err != nil {
		return err
	}
	if l.lose.Add(-1) >= 0 {
		return errors.New("connection reset (after commit)")
	}
	return nil
}

// TestFaultCounterLostAnswer retries batches whose write committed but
// answered an error, and counts newer events meanwhile: each event is
// stored exactly once.
func TestFaultCounterLostAnswer(t *testing.T) {
	st := openSQLite(t)
	w := &lostAnswer{Writer: st}
	w.lose.Store(3)
	c := start(t, w, CounterOptions{Interval: time.Hour}, fastRetry)
	// More rows than one batch, so the retry covers several.
	for i := range 3 * batchSize / 2 {
		c.Observe(Event{Kind: APICall, Time: t0, ClientID: fmt.Sprint("c", i), Outcome: "allowed"})
	}
	for range 3 {
		if err := c.Flush(context.Background()); err == nil {
			t.Fatal("Flush reported success for a lost answer")
		}
		c.Observe(Event{Kind: APICall, Time: t0, ClientID: "later", Outcome: "allowed"})
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, r := range query(t, st, Filter{}) {
		total += r.Allowed()
	}
	if total != 3*batchSize/2+3 {
		t.Fatalf("stored %d calls, want %d", total, 3*batchSize/2+3)
	}
}

// refusing is a store that refuses every write.
type refusing struct{ calls atomic.Int32 }

func (r *refusing) AddUsage(context.Context, string, []store.UsageCount) error {
	r.calls.Add(1)
	return errors.New("disk full")
}

// TestFaultCounterGivesUp drops a batch the store refused at every
// attempt, counts it, and goes on with newer counts.
func TestFaultCounterGivesUp(t *testing.T) {
	var d drops
	w := &refusing{}
	c := start(t, w, CounterOptions{Interval: time.Hour, Dropped: d.add}, backoff.Schedule{Base: time.Millisecond, Max: time.Millisecond, Attempts: 3})
	for range 7 {
		c.Observe(Event{Kind: TokenIssued, Time: t0, ClientID: "svc", GrantType: "client_credentials"})
	}
	for range 2 {
		if c.Flush(context.Background()) == nil {
			t.Fatal("Flush succeeded against a refusing store")
		}
	}
	if d.get(DropStoreError) != 0 {
		t.Fatal("dropped before the last attempt")
	}
	c.Observe(Event{Kind: TokenIssued, Time: t0, ClientID: "svc", GrantType: "client_credentials"})
	// The third attempt gives the first batch up, then tries the newer.
	c.Flush(context.Background())
	if got := d.get(DropStoreError); got != 7 {
		t.Fatalf("dropped %d events for store errors, want 7", got)
	}
	if w.calls.Load() != 4 {
		t.Fatalf("%d writes, want 3 attempts and one of the newer batch", w.calls.Load())
	}
}

// TestCounterCloseFlushes stores at Close what was counted since the last
// flush, and counts as lost what a refusing store never took, within the
// shutdown timeout.
func TestCounterCloseFlushes(t *testing.T) {
	t.Run("stored", func(t *testing.T) {
		st := openSQLite(t)
		c := start(t, st, CounterOptions{Interval: time.Hour}, fastRetry)
		for range 3 {
			c.Observe(Event{Kind: Introspected, Time: t0, ClientID: "rs", Outcome: Active})
		}
		c.Close()
		if rows := query(t, st, Filter{}); len(rows) != 1 || rows[0].Introspections[Active] != 3 {
			t.Fatalf("after Close: %+v", rows)
		}
	})
	t.Run("lost", func(t *testing.T) {
		var d drops
		c := start(t, &refusing{}, CounterOptions{Interval: time.Hour, ShutdownTimeout: 50 * time.Millisecond, Dropped: d.add}, fastRetry)
		for range 3 {
			c.Observe(Event{Kind: Introspected, Time: t0, ClientID: "rs", Outcome: Active})
		}
		c.Close()
		if got := d.get(DropShutdown); got != 3 {
			t.Fatalf("lost at shutdown: %d, want 3", got)
		}
	})
}

// TestCounterHourFromClock counts an event without a Time in the hour of
// CounterOptions.Now.
func TestCounterHourFromClock(t *testing.T) {
	st := openSQLite(t)
	c := start(t, st, CounterOptions{Interval: time.Hour, Now: func() time.Time { return t0 }}, fastRetry)
	c.Observe(Event{Kind: APICall, ClientID: "svc", Outcome: "allowed"})
	c.Flush(context.Background())
	if rows := query(t, st, Filter{}); len(rows) != 1 || !rows[0].Period.Equal(t0.Truncate(time.Hour)) {
		t.Fatalf("rows: %+v, want one at %v", rows, t0.Truncate(time.Hour))
	}
}

// TestQuerySince moves Since back to the start of its period, so that the
// first hour or day is counted whole.
func TestQuerySince(t *testing.T) {
	st := openSQLite(t)
	c := start(t, st, CounterOptions{Interval: time.Hour}, fastRetry)
	for _, at := range []time.Time{t0.Truncate(24 * time.Hour), t0.Add(-5 * time.Minute), t0.Add(time.Hour)} {
		c.Observe(Event{Kind: APICall, Time: at, ClientID: "svc", Outcome: "allowed"})
	}
	c.Flush(context.Background())
	tests := []struct {
		name  string
		f     Filter
		calls int64
	}{
		{"hour of since", Filter{Since: t0}, 2},
		{"day of since", Filter{Since: t0, By: ByDay}, 3},
		{"until", Filter{Since: t0, Until: t0}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Query(context.Background(), st, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			for _, r := range rep.Rows {
				n += r.Allowed()
			}
			if n != tt.calls || rep.Since.After(tt.f.Since) {
				t.Fatalf("%d calls since %v, want %d", n, rep.Since, tt.calls)
			}
		})
	}
}
