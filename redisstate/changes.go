package redisstate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Subscription timing.
const (
	// pingInterval is how long a quiet subscription waits before it pings
	// Redis: a connection that died without a word (a dropped network) is
	// found within two intervals, while a guard polls at its own interval.
	pingInterval = 15 * time.Second
	// minBackoff and maxBackoff bound the wait before subscribing again
	// after a failure; it doubles with each failure in a row.
	minBackoff = 250 * time.Millisecond
	maxBackoff = 30 * time.Second
)

// Topics of change notices. A notice says only that something of its
// topic changed; subscribers read what from its source of truth.
const (
	// TopicRevocations: the revocation list changed. Guards poll the
	// issuer's list at once (SubscribeRevocations).
	TopicRevocations = "revocations"
	// TopicAPIs: the stored APIs changed. Authorization servers reload
	// them at once (authserver.Server.ReloadAPIs).
	TopicAPIs = "apis"
)

// channel is the name of a topic's notice channel. Revocations keep the
// channel they had before there were other topics, so guards of either
// version hear each other's instances.
func (c *Client) channel(topic string) string { return c.prefix + topic }

// PublishChange tells every instance subscribed to topic that something
// of it changed. The payload is the time only: subscribers read what
// changed from its source (the issuer's revocation list, the store), so
// no token, jti or client data crosses Redis. The change is committed
// already, so a failure is logged, never returned: subscribers then learn
// of it at their poll interval, as they do when it is skipped during an
// outage. It runs even when ctx, a request's, has ended since.
func (c *Client) PublishChange(ctx context.Context, topic string) {
	if !c.health.try() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	defer cancel()
	payload := strconv.FormatInt(time.Now().UnixMilli(), 10)
	if err := c.rdb.Publish(ctx, c.channel(topic), payload).Err(); err != nil {
		c.health.failed("publish a notice of "+topic, err)
		return
	}
	c.health.ok()
}

// SubscribeChanges calls notify for each notice of topic any instance
// publishes, until ctx is done. It also calls notify after each
// successful subscription, the first included, because notices published
// while it was not subscribed are lost. It may start while Redis is down.
// When the subscription fails it subscribes again as soon as Redis
// answers the Client's probe (within probeInterval of Redis returning),
// after a pause that doubles with each failure in a row from 250 ms up to
// 30 s, so that a subscription failing on a Redis that answers pings does
// not spin. notify must not block for long: notices wait for it.
func (c *Client) SubscribeChanges(ctx context.Context, topic string, notify func()) {
	delay := minBackoff
	for c.health.waitUp(ctx) {
		subscribed, err := c.listen(ctx, topic, notify)
		if ctx.Err() != nil {
			return
		}
		if subscribed {
			delay = minBackoff
		}
		c.health.failed("subscribe to notices of "+topic, err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(2*delay, maxBackoff)
	}
}

// SubscribeRevocations calls notify for each revocation notice, as
// SubscribeChanges does; a guard passes its RefreshRevocations.
func (c *Client) SubscribeRevocations(ctx context.Context, notify func()) {
	c.SubscribeChanges(ctx, TopicRevocations, notify)
}

// listen subscribes to topic on a connection of its own and calls notify until the
// connection fails or ctx ends. It reports whether the subscription was
// confirmed, so that the caller knows the failure is a new one.
func (c *Client) listen(ctx context.Context, topic string, notify func()) (subscribed bool, err error) {
	ps := c.rdb.Subscribe(ctx, c.channel(topic))
	defer ps.Close()
	// A receive blocks on the socket regardless of ctx; closing the
	// subscription is what ends it.
	stop := context.AfterFunc(ctx, func() { ps.Close() })
	defer stop()
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, pingInterval)
		var ne net.Error
		switch {
		case err == nil:
		case errors.As(err, &ne) && ne.Timeout() && !pinged:
			// Quiet for an interval: ask for a pong, which the next
			// receive must bring.
			if err := ps.Ping(ctx); err != nil {
				return subscribed, fmt.Errorf("redisstate: ping subscription: %w", err)
			}
			pinged = true
			continue
		default:
			return subscribed, fmt.Errorf("redisstate: receive a notice of %s: %w", topic, err)
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				subscribed = true
				c.health.ok()
				notify()
			}
		case *redis.Message:
			notify()
		}
	}
}
