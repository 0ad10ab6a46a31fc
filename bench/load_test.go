package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunLoadCounts(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer t" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		if n%5 == 0 {
			http.Error(w, `{"error":"slow_down"}`, http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`{"active":true}`))
	}))
	defer srv.Close()

	tests := []struct {
		name       string
		header     string
		expect     string
		wantOK     bool
		wantErrors bool
		wantBad    bool
	}{
		{name: "good bodies and some 429s", header: "Bearer t", expect: `"active":true`, wantOK: true, wantErrors: true},
		{name: "bodies without the expected text", header: "Bearer t", expect: `"access_token"`, wantOK: true, wantErrors: true, wantBad: true},
		{name: "every request refused", header: "Bearer x", wantErrors: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls.Store(0)
			req := request{
				Method: http.MethodGet,
				URLs:   []string{srv.URL},
				Header: http.Header{"Authorization": {tt.header}},
				Expect: tt.expect,
			}
			r := runLoad(context.Background(), newClient(4), req, 4, 200*time.Millisecond)
			// Requests in flight when the run ends (and their retries by the
			// transport) are not counted.
			if got, saw := r.OK+r.Errors, calls.Load(); got > saw || got < saw-8 {
				t.Errorf("OK+Errors = %d, server saw %d", got, saw)
			}
			if (r.OK > 0) != tt.wantOK || (r.Errors > 0) != tt.wantErrors || (r.BadBodies > 0) != tt.wantBad {
				t.Errorf("OK %d, Errors %d, BadBodies %d; want OK %v, errors %v, bad bodies %v (first error %q)",
					r.OK, r.Errors, r.BadBodies, tt.wantOK, tt.wantErrors, tt.wantBad, r.FirstError)
			}
			if r.hist.n != r.OK+r.Errors {
				t.Errorf("histogram holds %d, want %d", r.hist.n, r.OK+r.Errors)
			}
			if tt.wantErrors && r.FirstError == "" {
				t.Error("no first error recorded")
			}
		})
	}
}

func TestHistogramPercentiles(t *testing.T) {
	tests := []struct {
		name   string
		values []time.Duration // each recorded once
		q      float64
		want   time.Duration
		within float64 // relative error allowed
	}{
		{name: "median of 1..100 µs", values: micros(1, 100), q: 0.5, want: 50 * time.Microsecond},
		{name: "p99 of 1..100 µs", values: micros(1, 100), q: 0.99, want: 99 * time.Microsecond},
		{name: "p100 of 1..100 µs", values: micros(1, 100), q: 1, want: 100 * time.Microsecond},
		{name: "median of 1..10000 µs", values: micros(1, 10000), q: 0.5, want: 5000 * time.Microsecond, within: 0.016},
		{name: "p99 of 1..10000 µs", values: micros(1, 10000), q: 0.99, want: 9900 * time.Microsecond, within: 0.016},
		{name: "empty", q: 0.5, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h histogram
			for _, v := range tt.values {
				h.record(v)
			}
			got := h.percentile(tt.q)
			diff := float64(got-tt.want) / float64(max(tt.want, 1))
			if diff < 0 {
				diff = -diff
			}
			if diff > tt.within {
				t.Errorf("percentile(%v) = %v, want %v (±%.1f%%)", tt.q, got, tt.want, tt.within*100)
			}
		})
	}
}

func TestHistogramBuckets(t *testing.T) {
	for us := uint64(0); us < 1<<22; us += 1 + us/1000 {
		i := bucketOf(us)
		if lo := lowerBound(i); lo > us || (i+1 < 64*40 && lowerBound(i+1) <= us) {
			t.Fatalf("%d µs in bucket %d of [%d, %d)", us, i, lo, lowerBound(i+1))
		}
	}
}

func micros(from, to int) []time.Duration {
	var out []time.Duration
	for v := from; v <= to; v++ {
		out = append(out, time.Duration(v)*time.Microsecond)
	}
	return out
}
