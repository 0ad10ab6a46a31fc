package keys

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// KEKSize is the length of a key-encryption key: an AES-256 key.
const KEKSize = 32

// Errors opening a sealed signing key. They never carry key material.
var (
	// ErrNoKEK: a stored key is encrypted and no key-encryption key is
	// configured, or a rewrap has none to encrypt with.
	ErrNoKEK = errors.New("keys: no key-encryption key configured")
	// ErrWrongKEK: a stored key is encrypted with a key-encryption key
	// that is not configured.
	ErrWrongKEK = errors.New("keys: encrypted with another key-encryption key")
	// ErrCorruptKey: a stored key is neither PKCS #8 nor a sealed blob
	// that authenticates under its key-encryption key.
	ErrCorruptKey = errors.New("keys: stored signing key is corrupt or was altered")
)

// KEK is a key-encryption key: it seals the signing keys' private parts in
// the store (AES-256-GCM). Its ID, a digest of the key, is stored with each
// sealed key so that a wrong key-encryption key is named rather than
// reported as corruption.
type KEK struct {
	id   [8]byte
	aead cipher.AEAD
}

// NewKEK makes a key-encryption key of KEKSize bytes.
func NewKEK(key []byte) (*KEK, error) {
	if len(key) != KEKSize {
		return nil, fmt.Errorf("keys: key-encryption key has %d bytes, want %d", len(key), KEKSize)
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	k := &KEK{aead: aead}
	// An HMAC under the key itself: revealing it reveals nothing of a
	// 256-bit key, and two deployments' IDs differ.
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("portcullis key-encryption key id"))
	copy(k.id[:], mac.Sum(nil))
	return k, nil
}

// ParseKEK reads a key-encryption key written as 64 hexadecimal
// characters (openssl rand -hex 32). Its error never repeats the input.
func ParseKEK(s string) (*KEK, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != KEKSize {
		return nil, fmt.Errorf("keys: a key-encryption key is %d hexadecimal characters (%d bytes), got %d characters", 2*KEKSize, KEKSize, len(s))
	}
	return NewKEK(b)
}

// ID names the key without revealing it, for messages: 16 hexadecimal
// characters.
func (k *KEK) ID() string { return hex.EncodeToString(k.id[:]) }

// KeyRing is the key-encryption keys one deployment uses. It is a value
// handed to the functions that need it, never process-wide state, so that
// separate key sets (tenants) can have separate rings.
type KeyRing struct {
	// Current encrypts keys written from now on and is what Rewrap moves
	// every key to. Nil means keys are written in plaintext.
	Current *KEK
	// Previous still decrypts keys encrypted before Current replaced it,
	// until Rewrap has moved them. Nil means none.
	Previous *KEK
}

// The sealed form of a private key (version 1), an envelope: a fresh
// AES-256 data key encrypts the PKCS #8 DER, and the key-encryption key
// encrypts the data key, so a rewrap re-encrypts only the data key. Both
// use AES-256-GCM with the kid as associated data, so a blob copied to
// another row does not open.
//
//	magic "pck" 0x01 | KEK ID (8) | nonce (12) | data key sealed (32+16) | nonce (12) | DER sealed
//
// PKCS #8 DER starts with 0x30 (a SEQUENCE), never with the magic, which
// is how keys stored before encryption existed are told apart and still
// load.
const (
	sealMagic    = "pck\x01"
	kekIDEnd     = len(sealMagic) + 8
	wrappedEnd   = kekIDEnd + 12 + KEKSize + 16
	sealedHeader = wrappedEnd + 12
)

// IsEncrypted reports whether a stored private key is sealed, rather than
// plaintext PKCS #8 from before a key-encryption key was configured.
func IsEncrypted(private []byte) bool { return bytes.HasPrefix(private, []byte(sealMagic)) }

// seal encrypts the PKCS #8 DER of key kid under kek.
func seal(kek *KEK, kid string, der []byte) ([]byte, error) {
	dek := make([]byte, KEKSize)
	rand.Read(dek)
	aead, err := newGCM(dek)
	if err != nil {
		return nil, err
	}
	out := make([]byte, wrappedEnd, sealedHeader+len(der)+aead.Overhead())
	copy(out, sealMagic)
	wrap(kek, kid, dek, out)
	nonce := out[wrappedEnd:sealedHeader]
	out = out[:sealedHeader]
	rand.Read(nonce)
	return aead.Seal(out, nonce, der, contentAD(kid)), nil
}

// wrap writes kek's ID and the data key sealed under kek into the header
// of blob.
func wrap(kek *KEK, kid string, dek, blob []byte) {
	copy(blob[len(sealMagic):kekIDEnd], kek.id[:])
	nonce := blob[kekIDEnd : kekIDEnd+12]
	rand.Read(nonce)
	kek.aead.Seal(blob[kekIDEnd+12:kekIDEnd+12], nonce, dek, wrapAD(blob[:kekIDEnd], kid))
}

// open returns the PKCS #8 DER of a stored private key, plaintext or
// sealed under a key of ring, and the KEK that sealed it (nil for
// plaintext).
func open(ring KeyRing, kid string, blob []byte) ([]byte, *KEK, error) {
	if !IsEncrypted(blob) {
		if len(blob) == 0 || blob[0] != 0x30 {
			return nil, nil, fmt.Errorf("signing key %s: %w", kid, ErrCorruptKey)
		}
		return blob, nil, nil
	}
	kek, dek, err := unwrap(ring, kid, blob)
	if err != nil {
		return nil, nil, err
	}
	aead, err := newGCM(dek)
	if err != nil {
		return nil, nil, err
	}
	der, err := aead.Open(nil, blob[wrappedEnd:sealedHeader], blob[sealedHeader:], contentAD(kid))
	if err != nil {
		return nil, nil, fmt.Errorf("signing key %s: %w", kid, ErrCorruptKey)
	}
	return der, kek, nil
}

// unwrap finds the key of ring that sealed blob and opens its data key.
func unwrap(ring KeyRing, kid string, blob []byte) (*KEK, []byte, error) {
	if len(blob) < sealedHeader {
		return nil, nil, fmt.Errorf("signing key %s: %w", kid, ErrCorruptKey)
	}
	id := blob[len(sealMagic):kekIDEnd]
	var kek *KEK
	for _, k := range []*KEK{ring.Current, ring.Previous} {
		if k != nil && bytes.Equal(k.id[:], id) {
			kek = k
			break
		}
	}
	if kek == nil {
		return nil, nil, wrongKEK(ring, kid, id)
	}
	dek, err := kek.aead.Open(nil, blob[kekIDEnd:kekIDEnd+12], blob[kekIDEnd+12:wrappedEnd], wrapAD(blob[:kekIDEnd], kid))
	if err != nil {
		return nil, nil, fmt.Errorf("signing key %s: %w", kid, ErrCorruptKey)
	}
	return kek, dek, nil
}

// rewrap re-seals the data key of blob under to, leaving the sealed
// private key as it is. The caller has opened blob whole, so that a
// corrupt one is not carried forward.
func rewrap(ring KeyRing, to *KEK, kid string, blob []byte) ([]byte, error) {
	_, dek, err := unwrap(ring, kid, blob)
	if err != nil {
		return nil, err
	}
	out := bytes.Clone(blob)
	wrap(to, kid, dek, out)
	return out, nil
}

// wrongKEK explains which key-encryption key a stored key needs.
func wrongKEK(ring KeyRing, kid string, id []byte) error {
	if ring.Current == nil && ring.Previous == nil {
		return fmt.Errorf("signing key %s is encrypted with key-encryption key %x: %w", kid, id, ErrNoKEK)
	}
	configured := []string{}
	for _, k := range []*KEK{ring.Current, ring.Previous} {
		if k != nil {
			configured = append(configured, k.ID())
		}
	}
	return fmt.Errorf("signing key %s is encrypted with key-encryption key %x, not with the configured %v: %w", kid, id, configured, ErrWrongKEK)
}

func contentAD(kid string) []byte { return append([]byte(sealMagic+"key\x00"), kid...) }

func wrapAD(header []byte, kid string) []byte {
	return append(append(bytes.Clone(header), "dek\x00"...), kid...)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return aead, nil
}
