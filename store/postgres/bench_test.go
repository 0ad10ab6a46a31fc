package postgres

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/sqlite"
)

// benchStores runs bench on SQLite and on PostgreSQL in the same process, so
// that their figures compare on one machine at one moment. The PostgreSQL
// half skips without PORTCULLIS_TEST_POSTGRES.
func benchStores(b *testing.B, bench func(b *testing.B, s store.Store)) {
	b.Run("sqlite", func(b *testing.B) {
		s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "p.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		bench(b, s)
	})
	b.Run("postgres", func(b *testing.B) { bench(b, openFresh(b)) })
}

// BenchmarkUseOnce marks a new private_key_jwt jti: one write on every
// assertion-authenticated token request.
func BenchmarkUseOnce(b *testing.B) {
	benchStores(b, func(b *testing.B, s store.Store) {
		ctx := context.Background()
		exp := time.Now().Add(time.Minute)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := s.UseOnce(ctx, fmt.Sprint("jti-", i), exp); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkIsRevoked looks a jti up among 1,000 revocations, alternately
// present and absent: one read on every introspection.
func BenchmarkIsRevoked(b *testing.B) {
	benchStores(b, func(b *testing.B, s store.Store) {
		ctx := context.Background()
		now := time.Now()
		for i := range 1000 {
			r := store.Revocation{JTI: fmt.Sprint("jti-", 2*i), ExpiresAt: now.Add(time.Hour), RevokedAt: now}
			if err := s.RevokeToken(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
		jtis := make([]string, 2000)
		for i := range jtis {
			jtis[i] = fmt.Sprint("jti-", i)
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			revoked, err := s.IsRevoked(ctx, jtis[i%len(jtis)])
			if err != nil {
				b.Fatal(err)
			}
			if revoked != (i%2 == 0) {
				b.Fatalf("IsRevoked(%s) = %v", jtis[i%len(jtis)], revoked)
			}
		}
	})
}

// BenchmarkRevocationVersion is the read every introspection of a token
// seen before makes: one goroutine (no reading to share) and many at once
// (readings shared among callers that arrive while one is in flight).
// BenchmarkIsRevoked, the lookup it replaces, is the baseline.
func BenchmarkRevocationVersion(b *testing.B) {
	benchStores(b, func(b *testing.B, s store.Store) {
		ctx := context.Background()
		b.Run("serial", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.RevocationVersion(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("parallel", func(b *testing.B) {
			b.SetParallelism(16)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.RevocationVersion(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	})
}

// BenchmarkAppendAudit stores a batch of 500 token_issued events, as the
// audit recorder does under load: the figure per event is ns/op / 500.
func BenchmarkAppendAudit(b *testing.B) {
	benchStores(b, func(b *testing.B, s store.Store) {
		ctx := context.Background()
		seq := 0
		b.ReportAllocs()
		for b.Loop() {
			events := make([]store.AuditEvent, 500)
			for i := range events {
				seq++
				events[i] = store.AuditEvent{Time: time.Now(), Type: "token_issued", Subject: "svc", ClientID: "svc", Remote: "127.0.0.1",
					RequestID: "abcdefghijklmnop", UID: fmt.Sprint("bench-", seq),
					Detail: map[string]any{"grant_type": "client_credentials", "client_id": "svc", "sub": "svc", "jti": "yubdjoQhmqLz0V9TMyf4Gg"}}
			}
			if err := s.AppendAudit(ctx, events); err != nil {
				b.Fatal(err)
			}
		}
	})
}
