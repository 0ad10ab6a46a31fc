package guard

import (
	"testing"
	"time"
)

func TestRefreshInterval(t *testing.T) {
	const lo, hi = 30 * time.Second, time.Hour
	tests := []struct {
		name         string
		cacheControl string
		want         time.Duration
	}{
		{name: "portcullis default", cacheControl: "public, max-age=300", want: 225 * time.Second},
		{name: "absent", cacheControl: "", want: hi},
		{name: "no max-age", cacheControl: "public", want: hi},
		{name: "below bound", cacheControl: "max-age=10", want: lo},
		{name: "above bound", cacheControl: "max-age=86400", want: hi},
		{name: "overflowing", cacheControl: "max-age=99999999999999999", want: hi},
		{name: "quoted and cased", cacheControl: `Public, MAX-AGE="600"`, want: 450 * time.Second},
		{name: "no-store", cacheControl: "no-store, max-age=600", want: lo},
		{name: "no-cache", cacheControl: "max-age=600, no-cache", want: lo},
		{name: "garbage", cacheControl: "max-age=soon", want: hi},
		{name: "negative", cacheControl: "max-age=-5", want: hi},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := refreshInterval(tt.cacheControl, lo, hi); got != tt.want {
				t.Errorf("refreshInterval(%q) = %v, want %v", tt.cacheControl, got, tt.want)
			}
		})
	}
}
