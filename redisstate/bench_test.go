package redisstate

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/postgres"
	"github.com/portcullis/portcullis/store/postgres/pgtest"
)

// BenchmarkUseOnce marks a new private_key_jwt jti, one call per
// assertion-authenticated token request, on each database alone (the
// baseline) and screened by Redis, in the same run so that the figures
// compare; and presents a used one, where Redis refuses without the
// database. The Redis half skips without PORTCULLIS_TEST_REDIS, PostgreSQL
// without PORTCULLIS_TEST_POSTGRES.
func BenchmarkUseOnce(b *testing.B) {
	openPostgres := func(b *testing.B) store.Store {
		s, err := postgres.Open(context.Background(), pgtest.FreshSchema(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}
	screened := func(open func(b *testing.B) store.Store) func(b *testing.B) store.Store {
		return func(b *testing.B) store.Store { return openClient(b, newPrefix(b), discard).Store(open(b)) }
	}
	for _, backend := range []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"sqlite", func(b *testing.B) store.Store { return openSQLite(b) }},
		{"sqlite+redis", screened(func(b *testing.B) store.Store { return openSQLite(b) })},
		{"postgres", openPostgres},
		{"postgres+redis", screened(openPostgres)},
	} {
		b.Run(backend.name+"/new", func(b *testing.B) {
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
		b.Run(backend.name+"/new-parallel", func(b *testing.B) {
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
		b.Run(backend.name+"/replay", func(b *testing.B) {
			s := backend.open(b)
			ctx := context.Background()
			exp := time.Now().Add(time.Minute)
			if err := s.UseOnce(ctx, "jti", exp); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.UseOnce(ctx, "jti", exp); !errors.Is(err, store.ErrReplay) {
					b.Fatalf("replay: %v", err)
				}
			}
		})
	}
}
