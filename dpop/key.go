package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Key is a client's proof-of-possession key: it makes proofs (RFC 9449
// section 4.2) and has the thumbprint tokens bound to it carry. It is safe
// for concurrent use.
type Key struct {
	alg    jose.SignatureAlgorithm
	priv   crypto.Signer
	signer jose.Signer
	jkt    string
	// Clock returns the time proofs are issued at. Nil means time.Now.
	Clock func() time.Time
}

// GenerateKey returns a new ES256 (P-256) key.
func GenerateKey() (*Key, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("dpop: generate key: %w", err)
	}
	return NewKey(priv, jose.ES256)
}

// NewKey returns a Key that signs with priv (an *ecdsa.PrivateKey,
// *rsa.PrivateKey or ed25519.PrivateKey) under alg, one of Algorithms
// that fits the key (RFC 7518 section 3.1: ES256 for P-256, ES384 for
// P-384, ES512 for P-521, EdDSA for Ed25519, RS* or PS* for RSA).
func NewKey(priv crypto.Signer, alg jose.SignatureAlgorithm) (*Key, error) {
	pub := jose.JSONWebKey{Key: priv.Public()}
	if msg := checkKey(&pub); msg != "" {
		return nil, fmt.Errorf("dpop: %s", msg)
	}
	// A mismatch would otherwise surface only when the first proof is
	// signed, or as proofs every server refuses.
	if !slices.Contains(Algorithms, alg) || !fits(pub.Key, alg) {
		return nil, fmt.Errorf("dpop: algorithm %q does not sign with a %T", alg, pub.Key)
	}
	// The public key goes into every proof's header (RFC 9449 section
	// 4.2); encoded once here, since go-jose's EmbedJWK would encode it
	// again for every signature, which doubled a proof's cost.
	jwk, err := pub.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("dpop: key: %w", err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: priv},
		(&jose.SignerOptions{}).WithType(ProofType).WithHeader("jwk", json.RawMessage(jwk)))
	if err != nil {
		return nil, fmt.Errorf("dpop: key: %w", err)
	}
	jkt, err := Thumbprint(&pub)
	if err != nil {
		return nil, err
	}
	return &Key{alg: alg, priv: priv, signer: signer, jkt: jkt}, nil
}

// Thumbprint returns the key's RFC 7638 SHA-256 thumbprint, base64url:
// the dpop_jkt of an authorization request (RFC 9449 section 10) and the
// cnf.jkt of tokens bound to the key.
func (k *Key) Thumbprint() string { return k.jkt }

// Algorithm returns the key's JWS algorithm.
func (k *Key) Algorithm() string { return string(k.alg) }

// Proof returns a proof for a request of method to target, an absolute
// http or https URL (its user information, query and fragment are left
// out of htu, RFC 9449 section 4.2). accessToken, when set, is hashed into
// ath, as resource servers require (section 7.1); nonce, when set, is the
// server's latest DPoP-Nonce (section 8).
func (k *Key) Proof(method, target, accessToken, nonce string) (string, error) {
	if method == "" {
		return "", errors.New("dpop: proof without a method")
	}
	u, err := url.Parse(target)
	if err != nil {
		return "", fmt.Errorf("dpop: proof target: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", errors.New("dpop: a proof's target must be an absolute http or https URL")
	}
	htu := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	now := time.Now
	if k.Clock != nil {
		now = k.Clock
	}
	c := struct {
		ID       string `json:"jti"`
		Method   string `json:"htm"`
		URL      string `json:"htu"`
		IssuedAt int64  `json:"iat"`
		Hash     string `json:"ath,omitempty"`
		Nonce    string `json:"nonce,omitempty"`
	}{ID: newID(), Method: method, URL: htu.String(), IssuedAt: now().Unix(), Nonce: nonce}
	if accessToken != "" {
		c.Hash = TokenHash(accessToken)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("dpop: proof: %w", err)
	}
	jws, err := k.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("dpop: sign proof: %w", err)
	}
	return jws.CompactSerialize()
}

// fits reports whether alg is an algorithm for pub's kind of key.
func fits(pub crypto.PublicKey, alg jose.SignatureAlgorithm) bool {
	if _, ok := pub.(*rsa.PublicKey); ok {
		return strings.HasPrefix(string(alg), "RS") || strings.HasPrefix(string(alg), "PS")
	}
	return alg != "" && alg == usualAlg(pub)
}

// usualAlg returns the algorithm for pub: by curve for EC keys (RFC 7518
// section 3.4), EdDSA for Ed25519 (RFC 8037), PS256 for RSA; or "" for a
// key NewKey refuses.
func usualAlg(pub crypto.PublicKey) jose.SignatureAlgorithm {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return jose.ES256
		case elliptic.P384():
			return jose.ES384
		case elliptic.P521():
			return jose.ES512
		}
	case ed25519.PublicKey:
		return jose.EdDSA
	case *rsa.PublicKey:
		return jose.PS256
	}
	return ""
}

// newID returns a proof's jti: 128 random bits.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
