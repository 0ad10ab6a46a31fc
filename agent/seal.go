package agent

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// A cookie value is base64url_nopad(version ‖ nonce ‖ ciphertext ‖ tag),
// AES-256-GCM with a random nonce, in one of two layouts:
//
//   - version 2, which the agent writes: the associated data is the
//     version byte and the cookie's name, so that a value sealed for one
//     cookie does not open as another, and the plaintext is a login ID
//     followed by the value. The cookies of one login share its ID, and
//     cookies of two logins are never used together.
//   - version 1, the layout of Curity's OAuth Agent: no associated data,
//     the plaintext is the value. It is read only until the configured
//     end of the transition (CookieConfig.LegacyCookiesUntil), for cookies
//     written before version 2, and never written.
const (
	// legacyVersion and cookieVersion are the first bytes of the two
	// layouts. The version cannot name the key: every cookie is written
	// with the first configured key, and decryption tries the keys in
	// order, GCM's tag telling which one fits.
	legacyVersion byte = 1
	cookieVersion byte = 2
	nonceSize          = 12
	tagSize            = 16
	loginIDSize        = 16
	// minLegacy and minSealed are the lengths of the two layouts for an
	// empty value.
	minLegacy = 1 + nonceSize + tagSize
	minSealed = minLegacy + loginIDSize
	// maxCookieValue is the longest value browsers keep (RFC 6265 section
	// 6.1 asks for 4096 bytes per cookie, name included). Longer input is
	// refused before decoding; sealing reports a token too long for it.
	maxCookieValue = 4096
)

// loginID names one login: every session cookie it sets carries it, and a
// refresh keeps it. The zero value is a version 1 cookie's, which has none.
type loginID [loginIDSize]byte

// newLoginID returns a random login ID.
func newLoginID() loginID {
	var id loginID
	// crypto/rand.Read never fails (it crashes the program instead).
	rand.Read(id[:])
	return id
}

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

// associatedData binds a version 2 value to the name of its cookie.
func associatedData(name string) []byte {
	return append([]byte{cookieVersion}, name...)
}

// seal encrypts value for the cookie named name of login id, with the
// first key and a random nonce.
func (c *cookieCipher) seal(name string, id loginID, value []byte) string {
	var nonce [nonceSize]byte
	rand.Read(nonce[:])
	return c.sealWithNonce(nonce[:], name, id, value)
}

// sealWithNonce is seal with nonce, which must never repeat for the key;
// only test vectors choose it.
func (c *cookieCipher) sealWithNonce(nonce []byte, name string, id loginID, value []byte) string {
	buf := make([]byte, 0, minSealed+len(value))
	buf = append(buf, cookieVersion)
	buf = append(buf, nonce...)
	header := len(buf)
	buf = append(buf, id[:]...)
	buf = append(buf, value...)
	// Sealed in place: the plaintext starts where the ciphertext goes.
	buf = c.aeads[0].Seal(buf[:header], nonce, buf[header:], associatedData(name))
	return base64.RawURLEncoding.EncodeToString(buf)
}

// open decrypts the value of the cookie named name with whichever key
// sealed it, and returns its login ID and value. A version 1 value opens
// only when legacy is true (during the transition, under an unprefixed
// name: cookieJar.copies), with the zero login ID. Anything that is not a
// value sealed by one of the keys for this name is ErrInvalidCookie.
func (c *cookieCipher) open(name, value string, legacy bool) (loginID, []byte, error) {
	if len(value) > maxCookieValue {
		return loginID{}, nil, ErrInvalidCookie
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < minLegacy {
		return loginID{}, nil, ErrInvalidCookie
	}
	var ad []byte
	switch {
	case raw[0] == cookieVersion && len(raw) >= minSealed:
		ad = associatedData(name)
	case raw[0] == legacyVersion && legacy:
	default:
		return loginID{}, nil, ErrInvalidCookie
	}
	nonce, sealed := raw[1:1+nonceSize], raw[1+nonceSize:]
	// Open may overwrite its output even when it fails, so the output
	// must not alias sealed, which the next key needs intact.
	out := make([]byte, 0, len(sealed)-tagSize)
	for _, aead := range c.aeads {
		plain, err := aead.Open(out, nonce, sealed, ad)
		if err != nil {
			continue
		}
		if ad == nil {
			return loginID{}, plain, nil
		}
		return loginID(plain[:loginIDSize]), plain[loginIDSize:], nil
	}
	return loginID{}, nil, ErrInvalidCookie
}
