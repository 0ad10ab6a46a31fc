package usage_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/audittest"
	"github.com/portcullis/portcullis/usage"
)

// BenchmarkDetector measures what the detectors add to an API call and to
// a token issued, beside one bare ES256 verification (what the guard does
// for a token it has not cached) as the baseline in the same run.
func BenchmarkDetector(b *testing.B) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := sha256.Sum256([]byte("header.payload"))
	sig, _ := ecdsa.SignASN1(rand.Reader, key, digest[:])
	b.Run("baseline ES256 verify", func(b *testing.B) {
		for b.Loop() {
			if !ecdsa.VerifyASN1(&key.PublicKey, digest[:], sig) {
				b.Fatal("verify")
			}
		}
	})
	d, err := usage.NewDetector(usage.Anomalies{}, usage.Options{Auditor: &audittest.Log{}})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	// The parts reporting events read their clock once for the event.
	now := time.Now()
	e := call("jti-bench", "203.0.113.7")
	e.Time = now
	b.Run("API call, known token", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d.Observe(e)
		}
	})
	b.Run("API call, known token, parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				d.Observe(e)
			}
		})
	})
	tokens := make([]usage.Event, 1<<16)
	for i := range tokens {
		tokens[i] = call(fmt.Sprint("jti-", i), "203.0.113.7")
		tokens[i].Time = now
	}
	b.Run("API call, 65536 tokens in turn", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			d.Observe(tokens[i&(len(tokens)-1)])
			i++
		}
	})
	issued := usage.Event{Kind: usage.TokenIssued, Time: now, ClientID: "svc", GrantType: "client_credentials"}
	b.Run("token issued", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d.Observe(issued)
		}
	})
}
