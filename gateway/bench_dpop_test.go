package gateway_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/portcullis/portcullis/agent"
	"github.com/portcullis/portcullis/gateway"
)

// The cookie handler's benchmarks run it alone, before a handler that does
// nothing in place of the guard and the proxy, so that what DPoP adds to
// a cookie request shows: the key's choice and one proof.
// BenchmarkBaselineES256Sign, one bare ES256 signature of a digest, is the
// proof's signature alone.

func BenchmarkBaselineES256Sign(b *testing.B) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("a DPoP proof's signing input"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ecdsa.SignASN1(rand.Reader, key, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCookieAuthBearer(b *testing.B) {
	benchmarkCookieAuth(b, cookieSettings(), boundJWT(""))
}

func BenchmarkCookieAuthDPoP(b *testing.B) {
	benchmarkCookieAuth(b, dpopCookieSettings(), boundJWT(dpopKey(b, oldDPoPSecret).Thumbprint()))
}

func benchmarkCookieAuth(b *testing.B, settings *agent.CookieConfig, token string) {
	reader, err := agent.NewCookieReader(*settings)
	if err != nil {
		b.Fatal(err)
	}
	public, _ := url.Parse("https://api.example.com")
	h := gateway.CookieAuth(reader, public, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	req := httptest.NewRequest(http.MethodGet, "/users", nil)
	req.Header.Set("Origin", appOrigin)
	req.Header.Set("Cookie", "pc-at="+sealCookie(b, cookieKey, "pc-at", token))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusNoContent {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}
