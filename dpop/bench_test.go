package dpop_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/portcullis/portcullis/dpop"
)

// BenchmarkProof measures a proof beside its baseline, one bare ES256
// signature, and a request through the Transport beside the same request
// without it, on a loopback server.
func BenchmarkProof(b *testing.B) {
	key, err := dpop.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("bare ES256 sign", func(b *testing.B) {
		priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		digest := sha256.Sum256([]byte("a proof's signing input"))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ecdsa.SignASN1(rand.Reader, priv, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Key.Proof", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := key.Proof("GET", "https://api.example.com/users?page=2", "an-access-token", "a-nonce"); err != nil {
				b.Fatal(err)
			}
		}
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	for _, tc := range []struct {
		name   string
		client *http.Client
	}{
		{"request without Transport", srv.Client()},
		{"request with Transport", dpop.HTTPClient(key, srv.Client().Transport)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, err := tc.client.Get(srv.URL + "/users")
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

// BenchmarkVerify measures checking one proof of a resource request
// (with ath and the token's key), its jti kept by a MemoryReplay, beside
// its baseline, one bare ES256 verification, in the same run. What a
// shared replay cache adds (a store write, a Redis round trip) is measured
// by the token endpoint's and the guard's benchmarks.
func BenchmarkVerify(b *testing.B) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := sha256.Sum256([]byte("a proof's signing input"))
	sig, _ := ecdsa.SignASN1(rand.Reader, priv, digest[:])
	b.Run("bare ES256 verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !ecdsa.VerifyASN1(&priv.PublicKey, digest[:], sig) {
				b.Fatal("verify")
			}
		}
	})
	key, err := dpop.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	const target = "https://api.example.com/users"
	b.Run("Verifier.Verify", func(b *testing.B) {
		// Proofs are made before the clock starts; each is used once.
		proofs := make([]http.Header, b.N)
		for i := range proofs {
			p, err := key.Proof("GET", target, "an-access-token", "")
			if err != nil {
				b.Fatal(err)
			}
			proofs[i] = http.Header{}
			proofs[i].Set(dpop.Header, p)
		}
		v, err := dpop.NewVerifier(dpop.Options{Replay: dpop.NewMemoryReplay(b.N+1, nil)})
		if err != nil {
			b.Fatal(err)
		}
		want := dpop.Request{Method: "GET", URL: target, AccessToken: "an-access-token", JKT: key.Thumbprint()}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, err := v.Verify(context.Background(), proofs[i], want); err != nil {
				b.Fatal(err)
			}
		}
	})
}
