package mfa

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrSealed: a sealed blob was altered, expired, or sealed for something
// else.
var ErrSealed = errors.New("mfa: sealed data does not open")

// sealInfo is the HKDF info (RFC 5869 section 3.2) of the sealing key, so
// that it is independent of every other key the server secret yields.
const sealInfo = "portcullis mfa seal v1"

// minSecret is the shortest server secret accepted: keys.SecretSize.
const minSecret = 32

// Sealer encrypts factor secrets and ceremony state with AES-256-GCM under
// keys derived (HKDF-SHA256) from the server secret, so every instance
// opens what another sealed. The associated data binds a blob to its
// purpose and owner: a blob copied elsewhere does not open.
type Sealer struct{ aead cipher.AEAD }

// NewSealer derives the Sealer's keys from the server secret (keys.Secret).
func NewSealer(secret []byte) (*Sealer, error) {
	if len(secret) < minSecret {
		return nil, fmt.Errorf("mfa: sealer: the server secret has %d bytes, want at least %d", len(secret), minSecret)
	}
	key, err := hkdf.Key(sha256.New, secret, nil, sealInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("mfa: sealer: derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("mfa: sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("mfa: sealer: %w", err)
	}
	return &Sealer{aead}, nil
}

// Seal encrypts plaintext for purpose (e.g. "totp") and owner (e.g. the
// factor ID). The result is nonce ‖ ciphertext ‖ tag; random 96-bit nonces
// are safe far beyond the number of factors and ceremonies one key seals
// (NIST SP 800-38D section 8.3).
func (s *Sealer) Seal(purpose, owner string, plaintext []byte) []byte {
	n := s.aead.NonceSize()
	out := make([]byte, n, n+len(plaintext)+s.aead.Overhead())
	rand.Read(out)
	return s.aead.Seal(out, out[:n], plaintext, sealAD(purpose, owner))
}

// Open decrypts what Seal sealed for the same purpose and owner;
// ErrSealed when it does not authenticate.
func (s *Sealer) Open(purpose, owner string, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrSealed
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], sealAD(purpose, owner))
	if err != nil {
		return nil, ErrSealed
	}
	return plain, nil
}

// sealAD is the associated data: purpose and owner, each preceded by its
// length, so that no two pairs ("ab","c" and "a","bc") share an encoding.
func sealAD(purpose, owner string) []byte {
	ad := binary.AppendUvarint(nil, uint64(len(purpose)))
	ad = append(ad, purpose...)
	ad = binary.AppendUvarint(ad, uint64(len(owner)))
	return append(ad, owner...)
}
