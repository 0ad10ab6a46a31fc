package usage

import (
	"context"
	"math"
)

// Series of client_rate, each with a baseline of its own per client.
const (
	seriesIssued = "issued" // access tokens issued
	seriesCalls  = "calls"  // API calls with the client's tokens
)

// rateState is what client_rate keeps per client and series: the count
// of the current window and an exponentially weighted average of the
// counts of the windows before, whose time constant is the baseline.
type rateState struct {
	bucket int64 // the current window's index (time / window)
	first  int64 // the window the client was first seen in
	count  int
	// avg is the weighted average of past counts, started at zero;
	// weight is the part of the weights that history has filled
	// (1 - (1-alpha)^windows), so avg/weight is the average corrected
	// for the zero it started from.
	avg, weight float64
	fired       int64 // the window of the last detection, plus one
	// users says the current window counted users' tokens or grants, not
	// only the client's own: one user could have raised it.
	users bool
}

// advance closes the windows before b: the current one with its count,
// and those between with none.
func (s *rateState) advance(b int64, alpha float64) {
	if b <= s.bucket {
		return
	}
	s.avg += alpha * (float64(s.count) - s.avg)
	s.weight += alpha * (1 - s.weight)
	if gap := b - s.bucket - 1; gap > 0 {
		k := math.Pow(1-alpha, float64(gap))
		s.avg *= k
		s.weight = 1 - (1-s.weight)*k
	}
	s.bucket, s.count, s.users = b, 0, false
}

// baseline is the average count per window.
func (s *rateState) baseline() float64 {
	if s.weight == 0 {
		return 0
	}
	return s.avg / s.weight
}

// rate is client_rate for one series: a detection when the current
// window's count reaches MinCount and exceeds Factor times the baseline,
// once the client has been seen for a whole baseline. Each instance
// judges the traffic it sees; a balancer spreading it evenly changes the
// counts, not their ratio to the baseline.
//
// users says the event was a user's (a token or grant whose subject is
// not the client): a detection its window holds such events in says so
// in its evidence, and suspends nothing, since any one of the client's
// users could have raised it.
func (d *Detector) rate(ctx context.Context, now instant, t *table[rateState], series, client string, users bool) {
	r := &d.cfg.ClientRate
	if r.Disabled || client == "" {
		return
	}
	b := now.ns / int64(r.Window)
	var x Detection
	fired := false
	t.update(client, func(s *rateState, fresh bool) {
		if fresh {
			s.bucket, s.first = b, b
		}
		s.advance(b, d.rateAlpha)
		s.count++
		s.users = s.users || users
		base := s.baseline()
		if b-s.first >= d.rateWarmup && s.count >= r.MinCount && float64(s.count) > r.Factor*base && s.fired != b+1 {
			s.fired, fired = b+1, true
			x = Detection{Rule: RuleClientRate, Time: now.t, ClientID: client,
				Evidence: map[string]any{"series": series, "count": s.count, "baseline": math.Round(base*100) / 100,
					"factor": r.Factor, "window": r.Window.String(), "user_traffic": s.users}}
		}
	})
	if fired {
		d.raise(ctx, x, r.Rule)
	}
}

// userEvent reports whether e is a user's: a token issued to, or
// presented for, a subject other than the client itself.
func userEvent(e Event) bool { return e.Subject != "" && e.Subject != e.ClientID }
