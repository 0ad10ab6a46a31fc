package authserver

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/portcullis/portcullis/store"
)

// Readiness of the store for writes: a probe at most once per
// probeInterval, its result shared by the checks in between, so that
// /readyz under load costs the database one small transaction a second;
// faultThreshold write faults seen on requests within faultWindow make
// the instance unready until a probe succeeds (lock timeouts come and go,
// so one is not enough).
const (
	probeInterval  = time.Second
	faultWindow    = 10 * time.Second
	faultThreshold = 3
	// probeTimeout bounds a probe, which runs apart from the request that
	// asked for it.
	probeTimeout = 5 * time.Second
)

// writeCheck tells whether the store takes writes, from store.Probe and
// from the write faults requests met.
type writeCheck struct {
	probe func(context.Context) error
	now   func() time.Time

	// mu also serialises probes: checks that arrive during one wait for
	// its result instead of starting their own.
	mu      sync.Mutex
	probed  time.Time // when the last probe ran
	err     error     // its result
	faults  []time.Time
	lastBad string // the cause of the newest fault
}

// observe records err if it is a write fault.
func (c *writeCheck) observe(err error) {
	f, ok := errors.AsType[*store.WriteFault](err)
	if !ok {
		return
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = append(c.recent(now), now)
	c.lastBad = f.Cause
}

// recent drops the faults older than faultWindow.
func (c *writeCheck) recent(now time.Time) []time.Time {
	i := 0
	for i < len(c.faults) && now.Sub(c.faults[i]) > faultWindow {
		i++
	}
	return c.faults[i:]
}

// check returns "" when the store takes writes, otherwise why not (a
// store.WriteFault cause, or "" with err for another failure).
func (c *writeCheck) check(ctx context.Context) (cause string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.faults = c.recent(now)
	if c.probed.IsZero() || now.Sub(c.probed) >= probeInterval || now.Before(c.probed) {
		// The probe's result is shared for probeInterval, so it must not
		// end with the request that ran it: a caller hanging up would
		// otherwise make every readiness check fail for a second.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
		c.probed, c.err = now, c.probe(pctx)
		cancel()
		if c.err == nil {
			c.faults = nil
		}
	}
	if c.err != nil {
		if f, ok := errors.AsType[*store.WriteFault](c.err); ok {
			return f.Cause, c.err
		}
		return "", c.err
	}
	if len(c.faults) >= faultThreshold {
		return c.lastBad, nil
	}
	return "", nil
}
