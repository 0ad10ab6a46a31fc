package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// testProbeConcurrent: a writable store passes Probe from 20 goroutines at
// once and again afterwards, so probes of several instances never refuse
// one another, and the single-use marks beside them keep working.
func testProbeConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := s.Probe(ctx); err != nil {
				t.Errorf("Probe: %v", err)
			}
		})
	}
	wg.Wait()
	if err := s.Probe(ctx); err != nil {
		t.Fatalf("Probe after the concurrent ones: %v", err)
	}
	exp := time.Now().Add(time.Hour)
	if err := s.UseOnce(ctx, "after-probe", exp); err != nil {
		t.Fatalf("UseOnce: %v", err)
	}
	if err := s.UseOnce(ctx, "after-probe", exp); err != store.ErrReplay {
		t.Fatalf("second UseOnce = %v, want ErrReplay", err)
	}
}
