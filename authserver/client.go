package authserver

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/portcullis/portcullis/store"
)

// errUnknownClient is returned by client for an ID nobody registered.
var errUnknownClient = errors.New("unknown client")

// client finds a client: first among those in the configuration file, which
// live in memory, then in the store.
func (s *Server) client(ctx context.Context, id string) (store.Client, error) {
	if c, ok := s.clients[id]; ok {
		return c, nil
	}
	c, err := s.store.GetClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Client{}, errUnknownClient
	}
	if err != nil {
		return store.Client{}, fmt.Errorf("load client: %w", err)
	}
	return c, nil
}

// NewSecret returns a client secret of 32 random bytes, base64url encoded,
// and the SHA-256 digest the store keeps instead of it.
func NewSecret() (secret string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, HashSecret(secret)
}

// HashSecret is the digest of a client secret as the store keeps it.
func HashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// secretMatches reports whether secret is the client's, or its previous
// one before that one's overlap after a rotation ends (at now). Both are
// compared, in constant time, whatever the outcome, so the response time
// tells an attacker nothing about how much of a guess was right, nor
// which secret it was close to.
func secretMatches(c store.Client, secret string, now time.Time) bool {
	sum := sha256.Sum256([]byte(secret))
	current := digestMatches(c.SecretHash, sum[:])
	previous := digestMatches(c.PreviousSecretHash, sum[:]) & boolInt(now.Before(c.PreviousSecretExpiresAt))
	return current|previous == 1
}

// digestMatches is 1 if the stored digest is sum, 0 otherwise (an absent
// digest included).
func digestMatches(stored, sum []byte) int {
	return subtle.ConstantTimeCompare(stored, sum) & boolInt(len(stored) == len(sum))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
