package keys

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/portcullis/portcullis/store"
)

// algorithms are the supported algorithms in the order they are listed.
var algorithms = []string{ES256, RS256, EdDSA}

// ErrNoKey is returned when no key can sign with the requested algorithm.
var ErrNoKey = errors.New("keys: no active key for algorithm")

// Manager serves the current key set to the request path. It reloads the set
// from the store periodically, so that a rotation done by the CLI or by
// another instance reaches every server without a restart. Reads never touch
// the store.
type Manager struct {
	store     KeyStore
	retention time.Duration
	now       func() time.Time
	set       atomic.Pointer[set]
}

// set is an immutable snapshot of the loaded keys.
type set struct {
	// byAlg holds each algorithm's keys in activation order.
	byAlg map[string][]*key
	byKID map[string]*key
	jwks  []byte
}

type key struct {
	store.Key
	public  jose.JSONWebKey
	private crypto.Signer
	// signers caches one *compactSigner per JOSE "typ" header value.
	signers sync.Map
}

// NewManager loads the key set once; call Run to keep it fresh. retention is
// the longest lifetime of any token signed with these keys: a retired key is
// published for that long after it stopped signing. now may be nil.
func NewManager(ctx context.Context, s KeyStore, retention time.Duration, now func() time.Time) (*Manager, error) {
	if now == nil {
		now = time.Now
	}
	m := &Manager{store: s, retention: retention, now: now}
	if err := m.Reload(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// Reload replaces the snapshot with the keys now in the store.
func (m *Manager) Reload(ctx context.Context) error {
	stored, err := m.store.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("load keys: %w", err)
	}
	now := m.now()
	old := m.set.Load()
	next := &set{byAlg: map[string][]*key{}, byKID: map[string]*key{}}
	var jwks jose.JSONWebKeySet
	for _, sk := range live(stored, m.retention, now) {
		k, err := m.reuseOrParse(old, sk)
		if err != nil {
			return fmt.Errorf("load keys: %w", err)
		}
		next.byAlg[k.Alg] = append(next.byAlg[k.Alg], k)
		next.byKID[k.ID] = k
	}
	// A fixed order (by algorithm, then activation) keeps the document
	// stable between reloads and instances.
	for _, alg := range algorithms {
		for _, k := range next.byAlg[alg] {
			jwks.Keys = append(jwks.Keys, k.public)
		}
	}
	if next.jwks, err = json.Marshal(jwks); err != nil {
		return fmt.Errorf("load keys: %w", err)
	}
	m.set.Store(next)
	return nil
}

// reuseOrParse keeps the parsed key and its cached signers across reloads.
func (m *Manager) reuseOrParse(old *set, sk store.Key) (*key, error) {
	if old != nil {
		if k, ok := old.byKID[sk.ID]; ok && k.ActivatesAt.Equal(sk.ActivatesAt) {
			return k, nil
		}
	}
	signer, err := privateKey(sk)
	if err != nil {
		return nil, err
	}
	return &key{Key: sk, private: signer, public: publicJWK(sk, signer)}, nil
}

// privateKey parses sk's private part.
func privateKey(sk store.Key) (crypto.Signer, error) {
	parsed, err := x509.ParsePKCS8PrivateKey(sk.Private)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", sk.ID, err)
	}
	signer, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("key %s: %T cannot sign", sk.ID, parsed)
	}
	return signer, nil
}

// publicJWK is sk's public key as the JWKS publishes it.
func publicJWK(sk store.Key, signer crypto.Signer) jose.JSONWebKey {
	return jose.JSONWebKey{Key: signer.Public(), KeyID: sk.ID, Algorithm: sk.Alg, Use: "sig"}
}

// PublicJWK returns sk's public key as the JWKS publishes it, for showing
// a key without its private part (the management API). sk's private part
// must be plaintext: read it through Sealed.
func PublicJWK(sk store.Key) (jose.JSONWebKey, error) {
	signer, err := privateKey(sk)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	return publicJWK(sk, signer), nil
}

// Run reloads the key set every interval until ctx is done. A failed reload
// keeps the previous set and is logged: signing must survive a store blip.
func (m *Manager) Run(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.Reload(ctx); err != nil && ctx.Err() == nil {
				log.Error("reload signing keys", "err", err)
			}
		}
	}
}

// Sign signs payload with the active key for alg and returns the compact JWS.
// typ is the JOSE "typ" header, for example "at+jwt" (RFC 9068 section 2.1).
func (m *Manager) Sign(alg, typ string, payload []byte) (string, error) {
	k := m.active(alg)
	if k == nil {
		return "", fmt.Errorf("%w %s", ErrNoKey, alg)
	}
	s, err := k.signer(typ)
	if err != nil {
		return "", err
	}
	return s.sign(payload)
}

// active returns the newest key for alg whose activation time has come. It
// is decided at signing time, not at load, so a rotation takes effect at its
// activation time on every instance that has loaded the key.
func (m *Manager) active(alg string) *key {
	now := m.now()
	ks := m.set.Load().byAlg[alg]
	for i := len(ks) - 1; i >= 0; i-- {
		if !ks[i].ActivatesAt.After(now) {
			return ks[i]
		}
	}
	return nil
}

func (k *key) signer(typ string) (*compactSigner, error) {
	if s, ok := k.signers.Load(typ); ok {
		return s.(*compactSigner), nil
	}
	s, err := newCompactSigner(k, typ)
	if err != nil {
		return nil, err
	}
	k.signers.Store(typ, s)
	return s, nil
}

// PublicKey returns the published key with this kid, for verifying tokens
// this server issued.
func (m *Manager) PublicKey(kid string) (jose.JSONWebKey, bool) {
	k, ok := m.set.Load().byKID[kid]
	if !ok {
		return jose.JSONWebKey{}, false
	}
	return k.public, true
}

// Algorithms returns the algorithms that have a published key, in a stable
// order: what discovery advertises.
func (m *Manager) Algorithms() []string {
	s := m.set.Load()
	var out []string
	for _, alg := range algorithms {
		if len(s.byAlg[alg]) > 0 {
			out = append(out, alg)
		}
	}
	return out
}

// JWKS returns the JSON Web Key Set (RFC 7517 section 5) of the published
// public keys. The slice is shared; callers must not change it.
func (m *Manager) JWKS() []byte { return m.set.Load().jwks }
