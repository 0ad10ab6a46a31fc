package keys

import (
	"context"
	"crypto/rand"
	"fmt"
)

// SecretSize is the length in bytes of the server secret.
const SecretSize = 32

// SecretStore is the part of store.Store the server secret needs.
type SecretStore interface {
	Secret(ctx context.Context, name string, fresh []byte) ([]byte, error)
}

// serverSecretName names the server secret in the store.
const serverSecretName = "server"

// Secret returns the server secret: the key of the MACs the server computes
// for itself, such as the sign-in forms' CSRF tokens. The first start
// creates it in the store; every instance on the same database then reads
// the same one, so a form served by one instance is accepted by another.
// It also keys package mfa's Sealer, which seals TOTP secrets at rest and
// passkey ceremonies in flight. It never leaves the server and is never
// rotated automatically: deleting it from the store (and restarting)
// invalidates forms open at the time and every enrolled TOTP factor, whose
// users then sign in with a passkey or a recovery code and enrol again.
func Secret(ctx context.Context, s SecretStore) ([]byte, error) {
	fresh := make([]byte, SecretSize)
	rand.Read(fresh)
	v, err := s.Secret(ctx, serverSecretName, fresh)
	if err != nil {
		return nil, fmt.Errorf("server secret: %w", err)
	}
	if len(v) < SecretSize {
		return nil, fmt.Errorf("server secret: stored value has %d bytes, want %d", len(v), SecretSize)
	}
	return v, nil
}
