package console

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// errBadCookie is any cookie value this console did not seal for that
// cookie: tampered with, truncated, or sealed under another server secret.
var errBadCookie = errors.New("console: invalid cookie")

// maxCookie is the longest cookie value browsers must keep (RFC 6265
// section 6.1); longer input is refused before decoding.
const maxCookie = 4096

// sealer encrypts cookie values with AES-256-GCM: base64url(nonce ‖
// ciphertext ‖ tag), the cookie's name being the associated data, so that
// one cookie's value does not open as another's.
type sealer struct{ aead cipher.AEAD }

// newSealer keys a sealer with key, 32 bytes.
func newSealer(key []byte) (*sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("console: cookie key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("console: cookie key: %w", err)
	}
	return &sealer{aead}, nil
}

// seal encrypts v, as JSON, for the cookie named name.
func (s *sealer) seal(name string, v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("console: seal %s: %w", name, err)
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	rand.Read(nonce)
	out := base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, []byte(name)))
	if len(name)+1+len(out) > maxCookie {
		return "", fmt.Errorf("console: seal %s: %d bytes is too long for a cookie", name, len(out))
	}
	return out, nil
}

// open decrypts the value of the cookie named name into v.
func (s *sealer) open(name, value string, v any) error {
	if len(value) > maxCookie {
		return errBadCookie
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return errBadCookie
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(name))
	if err != nil {
		return errBadCookie
	}
	if json.Unmarshal(plain, v) != nil {
		return errBadCookie
	}
	return nil
}
