package redisstate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/store"
)

// sharedStore is a store.Store whose single-use checks Redis screens and
// whose revocations are announced through it; every other method is the
// decorated store's.
type sharedStore struct {
	store.Store
	c *Client
}

// Store returns s with UseOnce screened by Redis, which refuses a replay it
// knows of without a database write, and with a revocation notice
// published after each successful RevokeToken, RevokeGrant, RevokeAll,
// RevokeSessionGrants, DeleteClient and DeleteUser. Closing the result
// closes s, not the Client. See the package documentation for what each
// Redis outage costs.
func (c *Client) Store(s store.Store) store.Store {
	return &sharedStore{Store: s, c: c}
}

// UseOnce implements store.Store. The decorated store decides: a key is
// used only when the store's UseOnce succeeds, so a key is used at most
// once whatever Redis does, slow, cut off, restarted empty or flushed. Redis
// only refuses early: one SET NX PXAT marks the key there, and a live mark
// already present means a replay, answered without touching the store. A
// mark whose expiresAt has already passed blocks nothing, as the store
// contract says: Redis answers such a SET without storing anything.
func (s *sharedStore) UseOnce(ctx context.Context, key string, expiresAt time.Time) error {
	if err := s.c.screen(ctx, key, expiresAt); err != nil {
		return err
	}
	err := s.Store.UseOnce(ctx, key, expiresAt)
	if err != nil && !errors.Is(err, store.ErrReplay) {
		// The database recorded no use: the mark would refuse the honest
		// retry of a request that failed here (a 503 asks for one).
		s.c.unscreen(ctx, key)
	}
	return err
}

// unscreen removes the mark screen set, best effort: a mark left behind
// only refuses a value the database never accepted.
func (c *Client) unscreen(ctx context.Context, key string) {
	if !c.health.try() {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	defer cancel()
	if err := c.rdb.Del(rctx, c.key("once", key)).Err(); err != nil {
		c.health.failed("unscreen", err)
		return
	}
	c.health.ok()
}

// screen marks key in Redis and returns store.ErrReplay when Redis holds a
// live mark for it already. Anything else Redis does (no answer, an error,
// an outage) returns nil: the store decides alone then. Only ctx's end is
// an error of its own.
func (c *Client) screen(ctx context.Context, key string, expiresAt time.Time) error {
	if !c.health.try() {
		return nil
	}
	err := c.mark(ctx, "once", key, expiresAt)
	switch {
	case err == nil:
		c.health.ok()
		return nil
	case errors.Is(err, redis.Nil):
		c.health.ok()
		return store.ErrReplay
	case ctx.Err() != nil:
		return fmt.Errorf("redisstate: use once: %w", ctx.Err())
	}
	c.health.failed("use once", err)
	return nil
}

// RevokeToken implements store.Store and announces the revocation.
func (s *sharedStore) RevokeToken(ctx context.Context, r store.Revocation) error {
	if err := s.Store.RevokeToken(ctx, r); err != nil {
		return err
	}
	s.c.PublishChange(ctx, TopicRevocations)
	return nil
}

// RevokeGrant implements store.Store and announces the revocation: the
// grant's access tokens are on the revocation list now.
func (s *sharedStore) RevokeGrant(ctx context.Context, grantID string, now time.Time) error {
	if err := s.Store.RevokeGrant(ctx, grantID, now); err != nil {
		return err
	}
	s.c.PublishChange(ctx, TopicRevocations)
	return nil
}

// RevokeAll implements store.Store and announces the revocation: it
// always records a cutoff, which guards must learn of even when no grant
// was revoked.
func (s *sharedStore) RevokeAll(ctx context.Context, c store.Cutoff, now time.Time) (int, error) {
	n, err := s.Store.RevokeAll(ctx, c, now)
	if err == nil {
		s.c.PublishChange(ctx, TopicRevocations)
	}
	return n, err
}

// RevokeSessionGrants implements store.Store and announces the revocation
// when there was a grant to revoke.
func (s *sharedStore) RevokeSessionGrants(ctx context.Context, sid string, now time.Time) (int, error) {
	n, err := s.Store.RevokeSessionGrants(ctx, sid, now)
	if err == nil && n > 0 {
		s.c.PublishChange(ctx, TopicRevocations)
	}
	return n, err
}

// DeleteClient implements store.Store and announces the cutoff of the
// client's tokens.
func (s *sharedStore) DeleteClient(ctx context.Context, c store.Cutoff, now time.Time, check func(store.Client) error) error {
	if err := s.Store.DeleteClient(ctx, c, now, check); err != nil {
		return err
	}
	s.c.PublishChange(ctx, TopicRevocations)
	return nil
}

// DeleteUser implements store.Store and announces the cutoff of the
// user's tokens.
func (s *sharedStore) DeleteUser(ctx context.Context, c store.Cutoff, now time.Time, check func(store.User) error) error {
	if err := s.Store.DeleteUser(ctx, c, now, check); err != nil {
		return err
	}
	s.c.PublishChange(ctx, TopicRevocations)
	return nil
}
