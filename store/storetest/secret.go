package storetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/portcullis/portcullis/store"
)

// testSecretConcurrent starts 50 "instances" at once, each offering its own
// fresh secret: all must get the same one, and later calls keep it.
func testSecretConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	got := make([][]byte, 50)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := s.Secret(ctx, "server", []byte(fmt.Sprintf("fresh-secret-%02d", i)))
			if err != nil {
				t.Errorf("Secret: %v", err)
			}
			got[i] = v
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, v := range got {
		if !bytes.Equal(v, got[0]) || !bytes.HasPrefix(v, []byte("fresh-secret-")) {
			t.Fatalf("caller %d got %q, caller 0 %q: concurrent first calls must agree", i, v, got[0])
		}
	}
	if v, err := s.Secret(ctx, "server", []byte("later")); err != nil || !bytes.Equal(v, got[0]) {
		t.Fatalf("Secret later = %q, %v; want the stored %q", v, err, got[0])
	}
	if v, err := s.Secret(ctx, "other", []byte("another")); err != nil || string(v) != "another" {
		t.Fatalf("Secret of another name = %q, %v; want its own value", v, err)
	}
}
