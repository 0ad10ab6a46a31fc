package dpop_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/dpop"
)

// clock is a settable time for MemoryReplay.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func TestMemoryReplay(t *testing.T) {
	ctx := context.Background()
	t0 := time.Unix(1_800_000_000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	c := &clock{now: t0}
	m := dpop.NewMemoryReplay(3, c.Now)
	// Each step: at second now, use key until second exp, expecting err.
	for i, step := range []struct {
		now  int
		key  string
		exp  int
		want error
	}{
		{0, "a", 10, nil},
		{0, "a", 10, dpop.ErrReplay},
		{0, "b", 20, nil},
		{1, "c", 20, nil},
		{1, "b", 20, dpop.ErrReplay},
		// Three live keys: full, and a full cache still knows replays.
		{2, "d", 20, dpop.ErrFull},
		{2, "c", 20, dpop.ErrReplay},
		// a expired at 10: its generation goes, b and c move to the older
		// one, still refused as replays.
		{10, "d", 30, nil},
		{11, "b", 20, dpop.ErrReplay},
		{11, "c", 20, dpop.ErrReplay},
		{11, "e", 30, dpop.ErrFull},
		// An expired key may be used again, once there is room.
		{11, "a", 40, dpop.ErrFull},
		{20, "a", 40, nil},
		{21, "a", 40, dpop.ErrReplay},
		{21, "d", 30, dpop.ErrReplay},
		{21, "e", 30, nil},
	} {
		c.Set(at(step.now))
		err := m.UseOnce(ctx, step.key, at(step.exp))
		if !errors.Is(err, step.want) || (step.want == nil) != (err == nil) {
			t.Fatalf("step %d: UseOnce(%s) at %ds = %v, want %v", i, step.key, step.now, err, step.want)
		}
	}
}

// A cache that fills with live keys refuses new ones for as long as they
// live, and takes new ones once they have expired, without a call that
// scans it.
func TestMemoryReplayBound(t *testing.T) {
	ctx := context.Background()
	t0 := time.Unix(1_800_000_000, 0)
	c := &clock{now: t0}
	const size = 1000
	m := dpop.NewMemoryReplay(size, c.Now)
	for i := range size {
		if err := m.UseOnce(ctx, fmt.Sprint(i), t0.Add(time.Minute)); err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
	}
	if err := m.UseOnce(ctx, "one more", t0.Add(time.Minute)); !errors.Is(err, dpop.ErrFull) {
		t.Fatalf("over the bound: %v, want ErrFull", err)
	}
	c.Set(t0.Add(time.Minute))
	for i := range size {
		if err := m.UseOnce(ctx, fmt.Sprint("later", i), t0.Add(2*time.Minute)); err != nil {
			t.Fatalf("after expiry, key %d: %v", i, err)
		}
	}
}

// Many goroutines use one key at once: exactly one wins.
func TestMemoryReplayOneWinner(t *testing.T) {
	m := dpop.NewMemoryReplay(0, nil)
	for round := range 20 {
		key := fmt.Sprint("key-", round)
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, replays := 0, 0
		for range 50 {
			wg.Go(func() {
				err := m.UseOnce(context.Background(), key, time.Now().Add(time.Minute))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, dpop.ErrReplay):
					replays++
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if wins != 1 || replays != 49 {
			t.Fatalf("round %d: %d winners, %d replays", round, wins, replays)
		}
	}
}

// The same through the Verifier: one proof sent by 50 goroutines is
// accepted once.
func TestVerifyOneWinner(t *testing.T) {
	now := time.Now()
	v := newVerifier(t, nil, now)
	key, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	proof, err := key.Proof("POST", target, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 50 {
		wg.Go(func() {
			_, err := v.Verify(context.Background(), header(proof), dpop.Request{Method: "POST", URL: target})
			var e *dpop.Error
			switch {
			case err == nil:
				mu.Lock()
				wins++
				mu.Unlock()
			case !errors.As(err, &e) || e.Code != dpop.CodeInvalidProof:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d goroutines' proofs accepted, want 1", wins)
	}
}

// A cache of one key takes a new key once the one it holds has expired,
// for as long as it runs: a generation of dead keys is no reason to be
// full.
func TestMemoryReplayOfOne(t *testing.T) {
	ctx := context.Background()
	t0 := time.Unix(1_800_000_000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	c := &clock{now: t0}
	m := dpop.NewMemoryReplay(1, c.Now)
	for i, step := range []struct {
		name string
		now  int
		key  string
		exp  int
		want error
	}{
		{"first key", 0, "a", 10, nil},
		{"while it lives", 5, "b", 20, dpop.ErrFull},
		{"once it expired", 11, "b", 20, nil},
		{"its replay", 12, "b", 20, dpop.ErrReplay},
		{"another while it lives", 12, "c", 30, dpop.ErrFull},
		{"after that expired too", 21, "c", 30, nil},
		{"much later", 100, "d", 110, nil},
	} {
		c.Set(at(step.now))
		err := m.UseOnce(ctx, step.key, at(step.exp))
		if !errors.Is(err, step.want) || (step.want == nil) != (err == nil) {
			t.Fatalf("step %d (%s): UseOnce(%s) at %ds = %v, want %v", i, step.name, step.key, step.now, err, step.want)
		}
	}
}
