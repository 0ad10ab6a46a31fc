package redisstate

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// BenchmarkUseOnce marks a new private_key_jwt jti, one call per
// assertion-authenticated token request, on SQLite alone and through Redis,
// in the same run so that the figures compare. Each runs from one goroutine
// and from GOMAXPROCS; the Redis half skips without PORTCULLIS_TEST_REDIS.
func BenchmarkUseOnce(b *testing.B) {
	for _, backend := range []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"sqlite", func(b *testing.B) store.Store { return openSQLite(b) }},
		{"redis", func(b *testing.B) store.Store { return openClient(b, newPrefix(b), discard).Store(openSQLite(b)) }},
	} {
		b.Run(backend.name, func(b *testing.B) {
			s := backend.open(b)
			ctx := context.Background()
			exp := time.Now().Add(time.Minute)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := s.UseOnce(ctx, fmt.Sprint("jti-", i), exp); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(backend.name+"-parallel", func(b *testing.B) {
			s := backend.open(b)
			ctx := context.Background()
			exp := time.Now().Add(time.Minute)
			var n atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := s.UseOnce(ctx, fmt.Sprint("jti-", n.Add(1)), exp); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
