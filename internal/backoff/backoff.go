// Package backoff is the retry schedule of background work that must
// not give up at the first failure nor retry in step with other
// instances: the audit trail's and the usage counters' store writes, and
// the start-up of parts that wait for their issuer (Start).
package backoff

import (
	"math/rand/v2"
	"time"
)

// Schedule is capped, jittered exponential backoff.
type Schedule struct {
	// Base is the first wait; each failure doubles it, up to Max.
	Base, Max time.Duration
	// Attempts is how many failed attempts give a write up: one the
	// store can never take must not block the writer for ever.
	Attempts int
}

// Delay is the wait before retry n (from 1): Base·2^(n-1), capped at Max,
// half of it fixed and half random, so that instances failing together do
// not retry in step.
func (s Schedule) Delay(n int) time.Duration {
	d := s.Max
	if n < 32 {
		if x := s.Base << (n - 1); x > 0 && x < s.Max {
			d = x
		}
	}
	return d/2 + rand.N(d/2+1)
}

// StoreWrites is the schedule of a batch the store refused: retried after
// 0.1 s, doubling to 30 s, for 20 attempts, about six and a half minutes
// of failing before it is given up.
var StoreWrites = Schedule{Base: 100 * time.Millisecond, Max: 30 * time.Second, Attempts: 20}
