package guard

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// minRSABits is the smallest RSA modulus accepted (RFC 7518 section 3.3).
const minRSABits = 2048

// verificationKey is one usable key of the issuer's JWK Set.
type verificationKey struct {
	// key is an *ecdsa.PublicKey, *rsa.PublicKey or ed25519.PublicKey.
	key crypto.PublicKey
	// alg is the JWK's "alg", empty when the JWK names none.
	alg jose.SignatureAlgorithm
}

// keys is one immutable generation of the key set, swapped atomically so
// that requests with a known kid never wait for a lock.
type keys struct {
	byID map[string]verificationKey
	// gen grows when a key is removed or replaced, so that tokens verified
	// under it are verified again rather than served from the cache.
	gen uint64
}

// keySet is the issuer's JWK Set (RFC 7517 section 5), cached, refreshed in
// the background and refetched on demand when a token names an unknown kid.
type keySet struct {
	url    string
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
	// lo and hi bound the refresh interval; lo also spaces demand fetches.
	lo, hi time.Duration
	// ctx bounds every fetch; Close cancels it.
	ctx context.Context

	current atomic.Pointer[keys]
	flight  flight[struct{}, time.Duration]
	// lastDemand is the time of the last fetch an unknown kid started.
	// Only admitDemand touches it, and flight calls that under its lock.
	lastDemand time.Time

	fetches, failures atomic.Int64
}

// fetchTimeout bounds one fetch even when the HTTP client has no timeout.
const fetchTimeout = 30 * time.Second

// lookup returns the key named kid and the generation it belongs to. An
// unknown kid triggers one fetch shared with every concurrent request; more
// than one such fetch per lo is refused, so a flood of random kids costs the
// issuer at most one request per lo.
func (s *keySet) lookup(ctx context.Context, kid string) (verificationKey, uint64, error) {
	ks := s.current.Load()
	if k, ok := ks.byID[kid]; ok {
		return k, ks.gen, nil
	}
	if _, err := s.flight.do(ctx, struct{}{}, s.admitDemand, s.fetchInBackground); err != nil && !errors.Is(err, errNotAdmitted) {
		return verificationKey{}, 0, fmt.Errorf("%w: %w", ErrUnknownKey, err)
	}
	ks = s.current.Load()
	if k, ok := ks.byID[kid]; ok {
		return k, ks.gen, nil
	}
	return verificationKey{}, 0, ErrUnknownKey
}

// admitDemand rate-limits fetches started by unknown kids. A fetch already
// in flight (a background refresh or another demand) is joined without
// asking; the startup fetch does not count, so the first unknown kid after
// a rotation is fetched at once.
func (s *keySet) admitDemand() bool {
	now := s.now()
	if !s.lastDemand.IsZero() && now.Sub(s.lastDemand) < s.lo {
		return false
	}
	s.lastDemand = now
	return true
}

// run refreshes the set in the background until ctx ends, first after next.
func (s *keySet) run(next time.Duration) {
	t := time.NewTimer(next)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		next, err := s.flight.do(s.ctx, struct{}{}, nil, s.fetchInBackground)
		if s.ctx.Err() != nil {
			return
		}
		if err != nil {
			next = s.lo
		}
		t.Reset(next)
	}
}

// fetchInBackground is fetch bound to the guard's lifetime rather than to
// the request that happened to start it.
func (s *keySet) fetchInBackground() (time.Duration, error) { return s.fetch(s.ctx) }

// fetch downloads the set and installs it, returning when to refresh next.
// On failure the last good set stays in place; the failure is logged and
// counted.
func (s *keySet) fetch(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	s.fetches.Add(1)
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	header, err := getJSON(ctx, s.client, s.url, &doc)
	if err == nil {
		err = s.install(doc.Keys)
	}
	if err != nil {
		n := s.failures.Add(1)
		if s.current.Load() != nil {
			s.log.Warn("guard: JWKS refresh failed; keeping the last good key set", "url", s.url, "failures", n, "err", err)
		}
		return s.lo, fmt.Errorf("%w: %w", ErrKeySet, err)
	}
	return refreshInterval(header.Get("Cache-Control"), s.lo, s.hi), nil
}

// install parses raw JWKs and swaps them in. Keys the guard cannot or must
// not use are skipped; a set left with none is refused as garbage.
func (s *keySet) install(raw []json.RawMessage) error {
	next := &keys{byID: make(map[string]verificationKey, len(raw))}
	for _, r := range raw {
		kid, k, err := parseKey(r)
		if err != nil {
			s.log.Debug("guard: skipping JWK", "url", s.url, "kid", kid, "err", err)
			continue
		}
		next.byID[kid] = k
	}
	if len(next.byID) == 0 {
		return errors.New("no usable signing key")
	}
	if prev := s.current.Load(); prev != nil {
		next.gen = prev.gen
		for kid, old := range prev.byID {
			k, ok := next.byID[kid]
			if !ok || k.alg != old.alg || !k.key.(interface{ Equal(crypto.PublicKey) bool }).Equal(old.key) {
				next.gen++
				break
			}
		}
	}
	s.current.Store(next)
	return nil
}

// parseKey returns a JWK's kid and key if the guard may verify with it: a
// public asymmetric signing key with a kid, RSA keys of at least 2048 bits.
// Symmetric keys are never used, whatever the token's alg says.
func parseKey(raw json.RawMessage) (string, verificationKey, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return "", verificationKey{}, err
	}
	kid := jwk.KeyID
	switch {
	case kid == "":
		return kid, verificationKey{}, errors.New("no kid")
	case jwk.Use != "" && jwk.Use != "sig":
		return kid, verificationKey{}, fmt.Errorf("use %q", jwk.Use)
	case jwk.Algorithm != "" && !slices.Contains(asymmetric, jose.SignatureAlgorithm(jwk.Algorithm)):
		return kid, verificationKey{}, fmt.Errorf("alg %q", jwk.Algorithm)
	}
	switch key := jwk.Key.(type) {
	case *ecdsa.PublicKey, ed25519.PublicKey:
	case *rsa.PublicKey:
		if key.N.BitLen() < minRSABits {
			return kid, verificationKey{}, fmt.Errorf("RSA key of %d bits", key.N.BitLen())
		}
	default:
		// Symmetric or private key material has no place in a public set.
		return kid, verificationKey{}, fmt.Errorf("key type %T", key)
	}
	return kid, verificationKey{key: jwk.Key, alg: jose.SignatureAlgorithm(jwk.Algorithm)}, nil
}

// fits reports whether a token signed with alg may be verified with k:
// the JWK's own alg, when it names one, must agree, and the key type and
// curve must be the ones alg is defined for (RFC 8725 section 3.1).
func (k verificationKey) fits(alg jose.SignatureAlgorithm) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch key := k.key.(type) {
	case *ecdsa.PublicKey:
		return alg == jose.ES256 && key.Curve.Params().Name == "P-256" ||
			alg == jose.ES384 && key.Curve.Params().Name == "P-384" ||
			alg == jose.ES512 && key.Curve.Params().Name == "P-521"
	case *rsa.PublicKey:
		return slices.Contains([]jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512}, alg)
	case ed25519.PublicKey:
		return alg == jose.EdDSA
	}
	return false
}
