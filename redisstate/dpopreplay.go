package redisstate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/dpop"
)

// DPoPReplay is a dpop.ReplayCache in Redis, shared by every instance of
// a resource server (a guard, the gateway): each proof's jti is used once
// across all of them (RFC 9449 section 11.1). It is safe for concurrent
// use.
//
// Unlike the store's replay screen it has no database behind it, so it
// fails closed: when Redis does not answer (or, during an outage, for
// every call but the one a second that tries Redis again) UseOnce returns
// an error, which the guard answers with 503. A proof is never accepted
// without a mark that it was used.
type DPoPReplay struct {
	c    *Client
	kind string
}

// DPoPReplay returns the replay cache of namespace. Every checker of the
// same proofs needs a namespace of its own: a gateway and the API behind
// it both check the proof the gateway forwards, and under one namespace
// the second would find it used. Instances of one checker share one
// namespace.
func (c *Client) DPoPReplay(namespace string) *DPoPReplay {
	return &DPoPReplay{c: c, kind: "dpop:" + namespace}
}

// UseOnce implements dpop.ReplayCache with one SET NX PXAT: the first
// caller for key sets it until expiresAt, later ones find it and get
// dpop.ErrReplay.
func (r *DPoPReplay) UseOnce(ctx context.Context, key string, expiresAt time.Time) error {
	c := r.c
	if !c.health.try() {
		return errOutage
	}
	err := c.mark(ctx, r.kind, key, expiresAt)
	switch {
	case err == nil:
		c.health.ok()
		return nil
	case errors.Is(err, redis.Nil):
		c.health.ok()
		return dpop.ErrReplay
	case ctx.Err() == nil:
		c.health.failed("dpop replay check", err)
	}
	return fmt.Errorf("redisstate: dpop replay check: %w", err)
}
