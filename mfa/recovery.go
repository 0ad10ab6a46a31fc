package mfa

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// RecoveryCodeCount is how many recovery codes a user gets at a time.
const RecoveryCodeCount = 10

// recoveryEncoding is RFC 4648 section 6's base32 in lower case: 5 bits
// a character, so 12 characters hold 60 bits, and no 0, 1 or 8 to take
// for o, l or b.
var recoveryEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewRecoveryCodes makes RecoveryCodeCount codes to show once and their
// digests to store (store.ReplaceRecoveryCodes). Each has 60 random bits,
// written as xxxx-xxxx-xxxx in lower-case base32. Sixty bits are beyond
// guessing under the password throttle, and a fast unsalted digest is
// enough for codes this random (unlike passwords, no dictionary helps).
func NewRecoveryCodes() (codes, hashes []string) {
	codes = make([]string, 0, RecoveryCodeCount)
	hashes = make([]string, 0, RecoveryCodeCount)
	seen := make(map[string]bool, RecoveryCodeCount)
	for len(codes) < RecoveryCodeCount {
		// 8 random bytes encode to 13 characters; the first 12 are 60
		// uniform bits.
		var raw [8]byte
		rand.Read(raw[:])
		s := recoveryEncoding.EncodeToString(raw[:])[:12]
		if seen[s] {
			continue // a store keeps one row per digest
		}
		seen[s] = true
		code := s[0:4] + "-" + s[4:8] + "-" + s[8:12]
		codes = append(codes, code)
		hashes = append(hashes, HashRecoveryCode(code))
	}
	return codes, hashes
}

// HashRecoveryCode is the digest a typed code is looked up by: spaces and
// dashes dropped, case folded, so a code typed loosely still matches. It
// is the hex SHA-256 of the normalized code.
func HashRecoveryCode(code string) string {
	norm := strings.ToLower(strings.NewReplacer(" ", "", "-", "").Replace(code))
	sum := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(sum[:])
}
