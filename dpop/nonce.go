package dpop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"sync/atomic"
	"time"
)

// MinNonceKeySize is the least key size NewNonces takes.
const MinNonceKeySize = 32

// DefaultNonceWindow is NewNonces' window when given zero.
const DefaultNonceWindow = 5 * time.Minute

// Nonces issues and checks server nonces (RFC 9449 section 8) without
// state: a nonce is a window number and a MAC over it, so every instance
// with the same key accepts every other's, and a nonce stays valid from
// its window's start until the end of the next window. It is safe for
// concurrent use.
type Nonces struct {
	mac    []byte
	window time.Duration
	// last caches the nonce of the latest window, which nearly every
	// answer carries.
	last atomic.Pointer[cachedNonce]
}

type cachedNonce struct {
	epoch int64
	value string
}

// NewNonces returns Nonces keyed with key (at least MinNonceKeySize
// bytes; instances behind one URL must share it) whose windows last
// window (zero means DefaultNonceWindow).
func NewNonces(key []byte, window time.Duration) (*Nonces, error) {
	if len(key) < MinNonceKeySize {
		return nil, errors.New("dpop: the nonce key must have at least 32 bytes")
	}
	if window < 0 {
		return nil, errors.New("dpop: the nonce window is negative")
	}
	if window == 0 {
		window = DefaultNonceWindow
	}
	// Deriving keeps the nonce MAC apart from whatever else the caller's
	// key is used for.
	m := hmac.New(sha256.New, key)
	m.Write([]byte("portcullis dpop nonce"))
	return &Nonces{mac: m.Sum(nil), window: window}, nil
}

// Issue returns the nonce of now's window.
func (n *Nonces) Issue(now time.Time) string {
	epoch := now.UnixNano() / int64(n.window)
	if c := n.last.Load(); c != nil && c.epoch == epoch {
		return c.value
	}
	v := n.make(epoch)
	n.last.Store(&cachedNonce{epoch: epoch, value: v})
	return v
}

// Valid reports whether nonce was issued in now's window or the one
// before.
func (n *Nonces) Valid(nonce string, now time.Time) bool {
	epoch := now.UnixNano() / int64(n.window)
	if c := n.last.Load(); c != nil && c.epoch == epoch && c.value == nonce {
		return true
	}
	for _, e := range [...]int64{epoch, epoch - 1} {
		if hmac.Equal([]byte(nonce), []byte(n.make(e))) {
			return true
		}
	}
	return false
}

func (n *Nonces) make(epoch int64) string {
	var b [8 + 16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(epoch))
	m := hmac.New(sha256.New, n.mac)
	m.Write(b[:8])
	copy(b[8:], m.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b[:])
}
