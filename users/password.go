// Package users owns the people who sign in: password hashing with
// argon2id, stable subject identifiers, bringing the users of the
// configuration file into the store, and slowing down password guessing.
package users

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: the OWASP Password Storage Cheat Sheet's first
// recommendation (19 MiB, 2 passes, 1 lane). Stored hashes carry their
// parameters, so these can grow without invalidating old hashes.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// ErrBadHash means a stored password hash is not an argon2id PHC string.
var ErrBadHash = errors.New("users: malformed password hash")

// HashPassword returns the argon2id hash of password in PHC string format,
// $argon2id$v=19$m=...,t=...,p=...$salt$hash.
func HashPassword(password string) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	return phc(salt, argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen))
}

// phc is the PHC string of an argon2id key derived with this package's
// parameters.
func phc(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether password matches hash, comparing in
// constant time.
//
// A user created without a password has no hash: no password matches,
// after the time of one verification, so that the answer does not tell
// them apart from a user with one.
func VerifyPassword(hash, password string) (bool, error) {
	if hash == "" {
		VerifyUnknown(password)
		return false, nil
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false, ErrBadHash
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 {
		return false, ErrBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, ErrBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, ErrBadHash
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against when a username is unknown, so that the
// answer takes as long as for a known one and does not reveal who exists.
// Only its parameters matter, which are this package's: its salt and key
// are random bytes, so no password matches it, and the process does not
// spend an argon2id run (and its 19 MiB) at start to make it.
var dummyHash = newDummyHash()

func newDummyHash() string {
	b := make([]byte, saltLen+argonKeyLen)
	rand.Read(b)
	return phc(b[:saltLen], b[saltLen:])
}

// VerifyUnknown spends the time of one password verification.
func VerifyUnknown(password string) { VerifyPassword(dummyHash, password) }

// NewID returns a subject identifier: 128 random bits, so it reveals
// nothing about the user and never changes with their username.
func NewID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
