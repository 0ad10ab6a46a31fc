package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Key is a client's proof-of-possession key: it makes proofs (RFC 9449
// section 4.2) and has the thumbprint tokens bound to it carry. It is safe
// for concurrent use.
type Key struct {
	alg    jose.SignatureAlgorithm
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
// *rsa.PrivateKey or ed25519.PrivateKey) under alg, one of Algorithms.
func NewKey(priv crypto.Signer, alg jose.SignatureAlgorithm) (*Key, error) {
	pub := jose.JSONWebKey{Key: priv.Public()}
	if msg := checkKey(&pub); msg != "" {
		return nil, fmt.Errorf("dpop: %s", msg)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: priv},
		(&jose.SignerOptions{EmbedJWK: true}).WithType(ProofType))
	if err != nil {
		return nil, fmt.Errorf("dpop: key: %w", err)
	}
	jkt, err := Thumbprint(&pub)
	if err != nil {
		return nil, err
	}
	return &Key{alg: alg, signer: signer, jkt: jkt}, nil
}

// Thumbprint returns the key's RFC 7638 SHA-256 thumbprint, base64url:
// the dpop_jkt of an authorization request (RFC 9449 section 10) and the
// cnf.jkt of tokens bound to the key.
func (k *Key) Thumbprint() string { return k.jkt }

// Algorithm returns the key's JWS algorithm.
func (k *Key) Algorithm() string { return string(k.alg) }

// Proof returns a proof for a request of method to target (its query and
// fragment are left out of htu). accessToken, when set, is hashed into
// ath, as resource servers require; nonce, when set, is the server's
// latest DPoP-Nonce.
func (k *Key) Proof(method, target, accessToken, nonce string) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", fmt.Errorf("dpop: proof target: %w", err)
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

// newID returns a proof's jti: 128 random bits.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
