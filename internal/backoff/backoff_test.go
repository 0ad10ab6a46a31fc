package backoff

import (
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	s := Schedule{Base: 100 * time.Millisecond, Max: 30 * time.Second, Attempts: 20}
	tests := []struct {
		name string
		n    int
		full time.Duration
	}{
		{"first retry", 1, 100 * time.Millisecond},
		{"doubled", 3, 400 * time.Millisecond},
		{"capped", 10, 30 * time.Second},
		{"far past the cap, no overflow", 100, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 100 {
				if d := s.Delay(tt.n); d < tt.full/2 || d > tt.full {
					t.Fatalf("Delay(%d) = %v, want between %v and %v", tt.n, d, tt.full/2, tt.full)
				}
			}
		})
	}
}
