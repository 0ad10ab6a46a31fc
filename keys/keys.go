// Package keys owns the authorization server's signing keys: generating them,
// rotating them so that a new key is published before it signs and an old
// one stays published until the tokens it signed have expired, serving a
// read-only snapshot (signers and the JWKS document) to the request path,
// and keeping private keys encrypted at rest under a key-encryption key.
package keys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/portcullis/portcullis/store"
)

// Supported JWS algorithms. Only asymmetric ones: a symmetric key would have
// to be shared with every relying party.
const (
	ES256 = string(jose.ES256)
	RS256 = string(jose.RS256)
	EdDSA = string(jose.EdDSA)
)

// DefaultActivation is how long a rotated key is published before it
// signs, unless its rotation says otherwise: longer than relying parties
// may cache the JWKS (5 minutes) plus the servers' key reload interval.
const DefaultActivation = 10 * time.Minute

// ErrUnsupportedAlg is returned for an algorithm this package cannot sign with.
var ErrUnsupportedAlg = errors.New("keys: unsupported signing algorithm")

// Supported reports whether alg is one of ES256, RS256 and EdDSA.
func Supported(alg string) bool { return alg == ES256 || alg == RS256 || alg == EdDSA }

// KeyStore is the part of store.Store this package needs.
type KeyStore interface {
	ListKeys(ctx context.Context) ([]store.Key, error)
	UpdateKeys(ctx context.Context, update func([]store.Key) ([]store.Key, error)) error
}

// Generate creates a key for alg that is published now and signs from
// activatesAt on. Its kid is the RFC 7638 thumbprint of the public key.
func Generate(alg string, now, activatesAt time.Time) (store.Key, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return store.Key{}, fmt.Errorf("%w: %q", ErrUnsupportedAlg, alg)
	}
	if err != nil {
		return store.Key{}, fmt.Errorf("generate %s key: %w", alg, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return store.Key{}, fmt.Errorf("generate %s key: %w", alg, err)
	}
	thumb, err := (&jose.JSONWebKey{Key: priv.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		return store.Key{}, fmt.Errorf("generate %s key: %w", alg, err)
	}
	return store.Key{
		ID: base64.RawURLEncoding.EncodeToString(thumb), Alg: alg, Private: der,
		CreatedAt: now, ActivatesAt: activatesAt,
	}, nil
}

// Ensure gives every algorithm in algs a key, generating an immediately
// active one where none exists, and drops keys that no longer matter. It is
// what a server does at start; run by several instances at once it still
// creates one key per algorithm, because the store runs it in a transaction.
func Ensure(ctx context.Context, s KeyStore, algs []string, retention time.Duration, now time.Time) error {
	// Generate outside the transaction: an RSA key takes long enough to
	// hold other instances' writes up needlessly.
	fresh := map[string]store.Key{}
	current, err := s.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("ensure keys: %w", err)
	}
	for _, alg := range algs {
		if !slices.ContainsFunc(current, func(k store.Key) bool { return k.Alg == alg }) {
			k, err := Generate(alg, now, now)
			if err != nil {
				return fmt.Errorf("ensure keys: %w", err)
			}
			fresh[alg] = k
		}
	}
	err = s.UpdateKeys(ctx, func(cur []store.Key) ([]store.Key, error) {
		for _, alg := range algs {
			if k, ok := fresh[alg]; ok && !slices.ContainsFunc(cur, func(k store.Key) bool { return k.Alg == alg }) {
				cur = append(cur, k)
			}
		}
		return live(cur, retention, now), nil
	})
	if err != nil {
		return fmt.Errorf("ensure keys: %w", err)
	}
	return nil
}

// Rotate adds a new key for alg that signs from activatesAt on. Until then
// the current key keeps signing while relying parties fetch the new one.
func Rotate(ctx context.Context, s KeyStore, alg string, activatesAt time.Time, retention time.Duration, now time.Time) (store.Key, error) {
	k, err := Generate(alg, now, activatesAt)
	if err != nil {
		return store.Key{}, fmt.Errorf("rotate keys: %w", err)
	}
	err = s.UpdateKeys(ctx, func(cur []store.Key) ([]store.Key, error) {
		return live(append(cur, k), retention, now), nil
	})
	if err != nil {
		return store.Key{}, fmt.Errorf("rotate keys: %w", err)
	}
	return k, nil
}

// live drops the keys that can no longer have signed an unexpired token: a
// key is retired when a newer key of its algorithm activates, and tokens it
// signed live at most retention after that.
func live(all []store.Key, retention time.Duration, now time.Time) []store.Key {
	out := all[:0:0]
	for _, k := range all {
		if retiredAt, ok := retired(k, all, now); !ok || now.Before(retiredAt.Add(retention)) {
			out = append(out, k)
		}
	}
	return out
}

// retired reports when k stopped signing: when the earliest newer key of its
// algorithm activated, if that has happened by now.
func retired(k store.Key, all []store.Key, now time.Time) (time.Time, bool) {
	var at time.Time
	found := false
	for _, n := range all {
		newer := n.ActivatesAt.After(k.ActivatesAt) || (n.ActivatesAt.Equal(k.ActivatesAt) && n.CreatedAt.After(k.CreatedAt))
		if n.Alg == k.Alg && n.ID != k.ID && newer && !n.ActivatesAt.After(now) && (!found || n.ActivatesAt.Before(at)) {
			at, found = n.ActivatesAt, true
		}
	}
	return at, found
}

// RetiredAt returns when k stopped signing among all keys at now: when a
// newer key of its algorithm activated. It is zero while k is the newest.
func RetiredAt(k store.Key, all []store.Key, now time.Time) time.Time {
	at, _ := retired(k, all, now)
	return at
}

// State names where k is in its life among all keys at now: "pending"
// (published, not signing yet), "active" (signing) or "retired" (published
// only so that the tokens it signed still verify).
func State(k store.Key, all []store.Key, now time.Time) string {
	switch _, isRetired := retired(k, all, now); {
	case k.ActivatesAt.After(now):
		return "pending"
	case isRetired:
		return "retired"
	}
	return "active"
}
