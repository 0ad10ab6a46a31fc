package agent

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"testing"
)

// The cookie benchmarks, each next to BenchmarkBaselineAESGCMSeal, one bare
// AES-256-GCM seal of the same 1 KiB plaintext (about an access token's
// size), which they are reported against.

var benchPlaintext = bytes.Repeat([]byte("x"), 1024)

func BenchmarkBaselineAESGCMSeal(b *testing.B) {
	key, _ := hex.DecodeString(readVectors(b)[0].Key)
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(block)
	nonce := make([]byte, nonceSize)
	out := make([]byte, 0, len(benchPlaintext)+tagSize)
	b.ReportAllocs()
	for b.Loop() {
		out = aead.Seal(out[:0], nonce, benchPlaintext, nil)
	}
}

// BenchmarkCookieSeal: random nonce, seal with the login ID and the
// cookie's name, base64url.
func BenchmarkCookieSeal(b *testing.B) {
	c := mustCipher(b, readVectors(b)[0].Key)
	id := newLoginID()
	b.ReportAllocs()
	for b.Loop() {
		c.seal("__Host-pc-at", id, benchPlaintext)
	}
}

// BenchmarkCookieOpen: base64url, open with the first key.
func BenchmarkCookieOpen(b *testing.B) {
	benchmarkOpen(b, readVectors(b)[0].Key)
}

// BenchmarkCookieOpenRotated: the cookie is of the second key, so the
// first one is tried and fails first, as during a key rotation.
func BenchmarkCookieOpenRotated(b *testing.B) {
	vs := readVectors(b)
	benchmarkOpen(b, vs[2].Key, vs[0].Key)
}

func benchmarkOpen(b *testing.B, keys ...string) {
	value := mustCipher(b, keys[len(keys)-1]).seal("__Host-pc-at", newLoginID(), benchPlaintext)
	c := mustCipher(b, keys...)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.open("__Host-pc-at", value, false); err != nil {
			b.Fatal(err)
		}
	}
}
