package agent

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// The cookie value layout is base64url_nopad(version ‖ nonce ‖ ciphertext
// ‖ tag) with AES-256-GCM and no associated data, the layout of Curity's
// OAuth Agent, so that gateway plugins written for it (NGINX, Lua,
// Cloudflare) decrypt Portcullis cookies too.
const (
	// cookieVersion is the first byte. Curity's agent writes 1 and its
	// plugins refuse anything else, so it cannot name the key: every
	// cookie is written with the first configured key, and decryption
	// tries the keys in order, GCM's tag telling which one fits.
	cookieVersion byte = 1
	nonceSize          = 12
	tagSize            = 16
	// minSealed is the length of a sealed empty plaintext.
	minSealed = 1 + nonceSize + tagSize
	// maxCookieValue is the longest value browsers keep (RFC 6265 section
	// 6.1 asks for 4096 bytes per cookie, name included). Longer input is
	// refused before decoding; sealing reports a token too long for it.
	maxCookieValue = 4096
)

// cookieCipher encrypts and decrypts cookie values.
type cookieCipher struct {
	aeads []cipher.AEAD // the first encrypts; all decrypt
}

// newCookieCipher builds the cipher for keys, 64 hexadecimal characters
// each (Config.Validate checks them).
func newCookieCipher(keys Keys) (*cookieCipher, error) {
	c := &cookieCipher{}
	for i, k := range keys {
		raw, err := hex.DecodeString(k)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("agent: cookie encryption key %d is not 64 hexadecimal characters", i)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("agent: cookie encryption key %d: %w", i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("agent: cookie encryption key %d: %w", i, err)
		}
		c.aeads = append(c.aeads, aead)
	}
	if len(c.aeads) == 0 {
		return nil, fmt.Errorf("agent: no cookie encryption key")
	}
	return c, nil
}

// seal encrypts plaintext with the first key and a random nonce.
func (c *cookieCipher) seal(plaintext []byte) string {
	var nonce [nonceSize]byte
	// crypto/rand.Read never fails (it crashes the program instead).
	rand.Read(nonce[:])
	return c.sealWithNonce(nonce[:], plaintext)
}

// sealWithNonce encrypts plaintext with the first key and nonce, which must
// never repeat for the key; only test vectors choose it.
func (c *cookieCipher) sealWithNonce(nonce, plaintext []byte) string {
	buf := make([]byte, 1, minSealed+len(plaintext))
	buf[0] = cookieVersion
	buf = append(buf, nonce...)
	buf = c.aeads[0].Seal(buf, nonce, plaintext, nil)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// open decrypts a cookie value with whichever key sealed it. Anything that
// is not a value sealed by one of the keys is ErrInvalidCookie.
func (c *cookieCipher) open(value string) ([]byte, error) {
	if len(value) > maxCookieValue {
		return nil, ErrInvalidCookie
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < minSealed || raw[0] != cookieVersion {
		return nil, ErrInvalidCookie
	}
	nonce, sealed := raw[1:1+nonceSize], raw[1+nonceSize:]
	// Open may overwrite its output even when it fails, so the output
	// must not alias sealed, which the next key needs intact.
	out := make([]byte, 0, len(sealed)-tagSize)
	for _, aead := range c.aeads {
		if plain, err := aead.Open(out, nonce, sealed, nil); err == nil {
			return plain, nil
		}
	}
	return nil, ErrInvalidCookie
}
