package redisstate

import (
	"context"
	"testing"
	"time"
)

// TestChangeNotices publishes a change of each topic at one instance and
// expects it, within a second, at another instance's subscribers of that
// topic and of no other.
func TestChangeNotices(t *testing.T) {
	prefix := newPrefix(t)
	sub := openClient(t, prefix, discard)
	topics := []string{TopicAPIs, TopicRevocations, "another"}
	notices := map[string]<-chan struct{}{}
	for _, topic := range topics {
		notices[topic] = subscribeTopic(t, sub, func(ctx context.Context, notify func()) { sub.SubscribeChanges(ctx, topic, notify) })
	}
	publisher := openClient(t, prefix, discard)
	for _, topic := range topics {
		t.Run(topic, func(t *testing.T) {
			publisher.PublishChange(context.Background(), topic)
			await(t, notices[topic], time.Second, "a "+topic+" change")
			for _, other := range topics {
				if other == topic {
					continue
				}
				select {
				case <-notices[other]:
					t.Fatalf("a %s change notified the subscriber of %s", topic, other)
				case <-time.After(50 * time.Millisecond):
				}
			}
		})
	}
}

// TestPublishChangeUnreachable checks that publishing without Redis
// returns at once, without error or panic: the change is committed, and
// subscribers learn of it by polling.
func TestPublishChangeUnreachable(t *testing.T) {
	c := unreachableClient(t, discard)
	start := time.Now()
	for range 3 {
		c.PublishChange(context.Background(), TopicAPIs)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("three publications without Redis took %v", d)
	}
}
