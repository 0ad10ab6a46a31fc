package usage_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/portcullis/portcullis/usage"
)

// BenchmarkGateAllow is what a rate limit decided in memory adds to a
// request: the key, the shard's lock, one map update. Compare it with
// the endpoint's own time (authserver's BenchmarkTokenRateLimit).
func BenchmarkGateAllow(b *testing.B) {
	g := usage.NewGate(nil, nil, nil)
	rule := usage.LimitRule{Name: usage.LimitToken, Limit: usage.Limit{Rate: usage.MaxRate, Period: time.Second, Burst: usage.MaxBurst}}
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = "client-" + strconv.Itoa(i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if !g.Allow(ctx, rule, keys[i%len(keys)], usage.Event{}).Allowed {
			b.Fatal("refused")
		}
		i++
	}
}
