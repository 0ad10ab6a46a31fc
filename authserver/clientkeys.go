package authserver

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

const (
	// clientKeysTTL is how long a fetched client jwks_uri document is used.
	clientKeysTTL = 5 * time.Minute
	// clientKeysMinRefetch rate-limits refetches forced by an unknown kid.
	clientKeysMinRefetch = 10 * time.Second
	// maxJWKSBytes bounds a fetched key set document.
	maxJWKSBytes = 1 << 20
)

// MinRSAKeyBits is the smallest RSA modulus accepted in a client's keys
// (NIST SP 800-131A: shorter keys are disallowed for signatures).
const MinRSAKeyBits = 2048

// CheckClientKey reports why a key of a client's key set cannot verify its
// private_key_jwt assertions: it must be a valid public asymmetric key, and
// an RSA key must have at least MinRSAKeyBits. The configuration refuses
// such keys in jwks; keys fetched from a jwks_uri are checked at use.
func CheckClientKey(k jose.JSONWebKey) error {
	if !k.IsPublic() || !k.Valid() {
		return errors.New("must be a public asymmetric key")
	}
	if pub, ok := k.Key.(*rsa.PublicKey); ok && pub.N.BitLen() < MinRSAKeyBits {
		return fmt.Errorf("is an RSA key of %d bits; at least %d are required", pub.N.BitLen(), MinRSAKeyBits)
	}
	return nil
}

// clientKeyCache holds the key sets fetched from clients' jwks_uri.
type clientKeyCache struct {
	http    *http.Client
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]*clientKeys
}

type clientKeys struct {
	// mu is held during a fetch, so concurrent requests for one URI wait
	// for that fetch instead of starting their own.
	mu      sync.Mutex
	set     jose.JSONWebKeySet
	fetched time.Time
	// forced is when an unknown kid last caused a fetch.
	forced time.Time
}

func newClientKeyCache(c *http.Client, now func() time.Time) *clientKeyCache {
	return &clientKeyCache{http: c, now: now, entries: map[string]*clientKeys{}}
}

// get returns the key set at uri, fetching it when the cached copy is older
// than clientKeysTTL, or when refresh is set and no refresh was forced in the
// last clientKeysMinRefetch: a flood of assertions with made-up kids costs
// at most one fetch per interval. A failed fetch keeps the last good set.
func (c *clientKeyCache) get(ctx context.Context, uri string, refresh bool) (jose.JSONWebKeySet, error) {
	c.mu.Lock()
	e, ok := c.entries[uri]
	if !ok {
		e = &clientKeys{}
		c.entries[uri] = e
	}
	c.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.now()
	stale := e.fetched.IsZero() || now.Sub(e.fetched) >= clientKeysTTL
	force := refresh && now.Sub(e.forced) >= clientKeysMinRefetch
	if !stale && !force {
		return e.set, nil
	}
	if !stale {
		e.forced = now
	}
	set, err := c.fetch(ctx, uri)
	if err != nil {
		if !e.fetched.IsZero() {
			return e.set, nil
		}
		return jose.JSONWebKeySet{}, err
	}
	e.set, e.fetched = set, now
	return set, nil
}

func (c *clientKeyCache) fetch(ctx context.Context, uri string) (jose.JSONWebKeySet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("fetch client jwks: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("fetch client jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return jose.JSONWebKeySet{}, fmt.Errorf("fetch client jwks %s: status %d", uri, resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJWKSBytes)).Decode(&set); err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("fetch client jwks %s: %w", uri, err)
	}
	return set, nil
}
