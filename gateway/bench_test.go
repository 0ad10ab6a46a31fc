package gateway_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/gateway"
)

// The route benchmarks call the gateway's handler directly with a token
// the guard has seen (its cache answers), and forward to an upstream on
// loopback. The cookie route is measured against the bearer route in the
// same run; BenchmarkBaselineAESGCMOpen, one bare AES-256-GCM open of
// 1 KiB (an access token's size), is the cookie's decryption alone.

func BenchmarkBaselineAESGCMOpen(b *testing.B) {
	key, _ := hex.DecodeString(cookieKey)
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(block)
	nonce := make([]byte, 12)
	sealed := aead.Seal(nil, nonce, bytes.Repeat([]byte("x"), 1024), nil)
	out := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := aead.Open(out[:0], nonce, sealed, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBearerRoute(b *testing.B) {
	benchmarkRoute(b, func(r *http.Request, token string) { r.Header.Set("Authorization", "Bearer "+token) })
}

// BenchmarkCookieRoute adds the agent's checks, the cookie's decryption
// and the request's clone to the bearer route's work.
func BenchmarkCookieRoute(b *testing.B) {
	benchmarkRoute(b, func(r *http.Request, token string) {
		r.Header.Set("Origin", appOrigin)
		r.Header.Set("Cookie", "pc-at="+sealCookie(b, cookieKey, "pc-at", token))
	})
}

func benchmarkRoute(b *testing.B, authenticate func(*http.Request, string)) {
	issuer := authservertest.New(b)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("[]")) }))
	b.Cleanup(up.Close)
	gw, err := gateway.New(b.Context(), gateway.Config{
		Listen: "127.0.0.1:0", Issuer: issuer.URL, Audience: authservertest.API, Cookies: cookieSettings(),
		Routes: []gateway.Route{{Path: "/users", Upstream: up.URL, Scopes: []string{"list:users"}, Cookies: true}},
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(gw.Close)
	req := httptest.NewRequest(http.MethodGet, "/users", nil)
	authenticate(req, issuer.Token(b, "list:users"))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}
