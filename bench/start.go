package main

import (
	"context"
	"os"
	"slices"
	"time"
)

// startRepeats is how often each start is timed; the median counts.
const startRepeats = 5

// idleWait is how long after ready the idle RSS is read.
const idleWait = 2 * time.Second

// runStart times portcullis serve from exec to a 200 from /readyz on a
// fresh store (an empty folder) and on a restart (the same folder again,
// after a kill), and oidc-provider from exec to listening; and reads each
// one's idle RSS idleWait after ready.
func runStart(ctx context.Context, e *env) ([]*measurement, error) {
	var fresh, restart []time.Duration
	var idleFresh, idleRestart int64
	for i := range startRepeats {
		dir, err := os.MkdirTemp(e.tmp, "start-")
		if err != nil {
			return nil, err
		}
		s, ops, err := writePortcullisConfig(dir, portcullisConfig{})
		if err != nil {
			return nil, err
		}
		for j, times := range []*[]time.Duration{&fresh, &restart} {
			if err := startPortcullis(ctx, e, dir, s, ops); err != nil {
				return nil, err
			}
			*times = append(*times, s.ready)
			if i == 0 {
				time.Sleep(idleWait)
				if j == 0 {
					idleFresh = s.rss()
				} else {
					idleRestart = s.rss()
				}
			}
			s.stop()
		}
	}
	out := []*measurement{
		{Target: "portcullis fresh", Value: ms(median(fresh)), RSS: mib(idleFresh)},
		{Target: "portcullis restart", Value: ms(median(restart)), RSS: mib(idleRestart)},
	}
	if e.nodeSkip == "" {
		var times []time.Duration
		var idle int64
		for i := range startRepeats {
			s, err := startOIDCProvider(ctx, e, "opaque")
			if err != nil {
				return nil, err
			}
			times = append(times, s.ready)
			if i == 0 {
				time.Sleep(idleWait)
				idle = s.rss()
			}
			s.stop()
		}
		out = append(out, &measurement{Target: tOPOpaque, Value: ms(median(times)), RSS: mib(idle)})
	}
	for _, m := range out {
		m.Scenario = "start"
	}
	return out, nil
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
