package redisstate

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// subscribe runs c.SubscribeRevocations until the test ends and returns the
// channel its notices arrive on, once the subscription is confirmed.
func subscribe(t *testing.T, c *Client) <-chan struct{} {
	t.Helper()
	return subscribeTopic(t, c, func(ctx context.Context, notify func()) { c.SubscribeRevocations(ctx, notify) })
}

// subscribeTopic runs sub until the test ends and returns the channel its
// notices arrive on, once the subscription is confirmed.
func subscribeTopic(t *testing.T, c *Client, sub func(ctx context.Context, notify func())) <-chan struct{} {
	t.Helper()
	notices := make(chan struct{}, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sub(ctx, func() { notices <- struct{}{} })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("the subscription did not end when its context ended")
		}
	})
	// The first notice comes with the subscription.
	await(t, notices, 10*time.Second, "the subscription")
	return notices
}

// await waits for a notice for at most d.
func await(t *testing.T, notices <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-notices:
	case <-time.After(d):
		t.Fatalf("no notice within %v of %s", d, what)
	}
}

// TestRevocationNotices revokes through one instance's store and expects
// the notice at another instance's subscriber within a second, for each
// kind of revocation.
func TestRevocationNotices(t *testing.T) {
	prefix := newPrefix(t)
	notices := subscribe(t, openClient(t, prefix, discard))
	s := openClient(t, prefix, discard).Store(openSQLite(t))
	ctx := context.Background()
	now := time.Now()
	if err := s.CreateUser(ctx, store.User{ID: "u1", Username: "alice", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for _, g := range []store.Grant{{ID: "grant-2", UserID: "u1", ClientID: "web"}, {ID: "grant-3", UserID: "u2", ClientID: "web", SessionID: "sid-1"}} {
		g.ExpiresAt = now.Add(time.Hour)
		if err := s.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateClient(ctx, store.Client{ID: "svc", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		revoke func() error
	}{
		{"RevokeToken", func() error {
			return s.RevokeToken(ctx, store.Revocation{JTI: "jti-1", ExpiresAt: now.Add(time.Hour), RevokedAt: now})
		}},
		{"RevokeGrant", func() error { return s.RevokeGrant(ctx, "grant-1", now) }},
		{"RevokeAll", func() error {
			if n, err := s.RevokeAll(ctx, store.NewCutoff("", "u1", now, time.Hour), now); err != nil || n != 1 {
				return fmt.Errorf("RevokeAll = %d, %v; want 1 grant", n, err)
			}
			return nil
		}},
		// A client credentials client has no grant: its cutoff alone
		// must be announced.
		{"RevokeAll without grants", func() error {
			_, err := s.RevokeAll(ctx, store.NewCutoff("svc", "", now, time.Hour), now)
			return err
		}},
		{"RevokeSessionGrants", func() error {
			if n, err := s.RevokeSessionGrants(ctx, "sid-1", now); err != nil || n != 1 {
				return fmt.Errorf("RevokeSessionGrants = %d, %v; want 1 grant", n, err)
			}
			return nil
		}},
		{"DeleteClient", func() error { return s.DeleteClient(ctx, store.NewCutoff("svc", "", now, time.Hour), now, nil) }},
		{"DeleteUser", func() error { return s.DeleteUser(ctx, store.NewCutoff("", "u1", now, time.Hour), now, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.revoke(); err != nil {
				t.Fatal(err)
			}
			await(t, notices, time.Second, tt.name)
		})
	}
}

// TestRevocationNoticePayload checks that a notice carries the time and
// nothing else: no token crosses Redis.
func TestRevocationNoticePayload(t *testing.T) {
	prefix := newPrefix(t)
	c := openClient(t, prefix, discard)
	ctx := context.Background()
	ps := c.rdb.Subscribe(ctx, c.channel(TopicRevocations))
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	before := time.Now().UnixMilli()
	r := store.Revocation{JTI: "secret-jti", ExpiresAt: time.Now().Add(time.Hour), RevokedAt: time.Now()}
	if err := c.Store(openSQLite(t)).RevokeToken(ctx, r); err != nil {
		t.Fatal(err)
	}
	msg, err := ps.ReceiveMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ms, err := strconv.ParseInt(msg.Payload, 10, 64); err != nil || ms < before || ms > time.Now().UnixMilli() {
		t.Errorf("payload %q, want the revocation time in Unix milliseconds", msg.Payload)
	}
}

// TestSubscriptionReconnects cuts the subscriber's connection: it
// subscribes again once Redis is back, notifies for what it may have
// missed, and receives notices again. The outage is logged once.
func TestSubscriptionReconnects(t *testing.T) {
	var logs logBuffer
	prefix := newPrefix(t)
	p := newProxy(t, redisOptions(t).Addr)
	notices := subscribe(t, p.client(t, prefix, logs.logger()))
	publisher := openClient(t, prefix, discard)

	p.setDown(true)
	// Let the subscriber fail at least once before Redis comes back.
	waitFor(t, "the failure", func() bool { return logs.count("Redis unreachable") > 0 })
	p.setDown(false)
	await(t, notices, 10*time.Second, "subscribing again")
	publisher.PublishChange(context.Background(), TopicRevocations)
	await(t, notices, time.Second, "a notice after the reconnection")
	if n := logs.count("Redis unreachable"); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, logs.String())
	}
}

// TestSubscribeUnreachable checks that a subscriber without Redis keeps
// trying without notifying, and stops when its context ends.
func TestSubscribeUnreachable(t *testing.T) {
	c := unreachableClient(t, discard)
	ctx, cancel := context.WithTimeout(context.Background(), 2*minBackoff)
	defer cancel()
	notified := false
	c.SubscribeRevocations(ctx, func() { notified = true })
	if notified {
		t.Error("notified without a subscription")
	}
}
