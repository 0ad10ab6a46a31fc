// Package wire holds the few primitives that the authorization server's
// protocol core (authserver) and its sign-in pages (authserver/signin) must
// share: the random values and digests that stand for bearer secrets, and
// the bounds on outside input. They live once, here, because the two sides
// must agree: a code issued by the sign-in flow is stored by its Digest and
// looked up by the same Digest at the token endpoint.
package wire

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// MaxBodyBytes bounds every form body. The largest legitimate one is a
// private_key_jwt assertion with an RSA signature, a few kilobytes.
const MaxBodyBytes = 64 << 10

// RandomToken returns 256 random bits, base64url encoded.
func RandomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Digest is how the store keeps bearer secrets (codes, refresh tokens,
// session IDs): a leak of the database does not leak usable values.
func Digest(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Clip shortens attacker-chosen text before it is echoed in an error or a
// log record.
func Clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
