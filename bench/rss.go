package main

import (
	"context"
	"fmt"
)

// runRSS loads one long-lived Portcullis with tokens and then
// introspections for e.duration each, rounds times, and reads its RSS
// after each round: whether it settles or grows.
func runRSS(ctx context.Context, e *env, rounds int) ([]*measurement, error) {
	s, err := newPortcullis(ctx, e, portcullisConfig{})
	if err != nil {
		return nil, err
	}
	defer s.stop()
	token, err := getToken(ctx, s)
	if err != nil {
		return nil, err
	}
	var out []*measurement
	for r := range rounds {
		mt, err := measure(ctx, e, s, tokenRequest(s))
		if err != nil {
			return nil, err
		}
		mi, err := measure(ctx, e, s, introspectRequest(s, token))
		if err != nil {
			return nil, err
		}
		out = append(out, &measurement{
			Scenario: "rss", Target: tPortcullis, Round: r + 1, RSS: mi.RSS,
			OK: mt.OK + mi.OK, Errors: mt.Errors + mi.Errors,
			Note: fmt.Sprintf("token %.0f/s, introspect %.0f/s", mt.RPS, mi.RPS),
		})
	}
	return out, nil
}
