package authserver

import (
	"context"
	"testing"
	"time"
)

// TestWriteCheckOutlivesItsCaller: a caller that hangs up during the probe
// does not make the shared result a failure for everyone after it.
func TestWriteCheckOutlivesItsCaller(t *testing.T) {
	c := &writeCheck{
		probe: func(ctx context.Context) error { return ctx.Err() },
		now:   time.Now,
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if cause, err := c.check(ctx); cause != "" || err != nil {
		t.Fatalf("probe run for a caller that hung up: %q, %v; want ready", cause, err)
	}
	if cause, err := c.check(context.Background()); cause != "" || err != nil {
		t.Fatalf("the next caller: %q, %v; want ready", cause, err)
	}
}
