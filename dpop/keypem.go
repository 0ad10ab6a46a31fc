package dpop

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// ParseKey returns the key of a PEM private key: PKCS #8 ("PRIVATE KEY":
// EC, Ed25519 or RSA) or SEC 1 ("EC PRIVATE KEY"), as openssl writes them.
// It signs with the key's usual algorithm: ES256, ES384 or ES512 by curve,
// EdDSA, or PS256 for RSA.
func ParseKey(data []byte) (*Key, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("dpop: no PEM block in the key")
	}
	var priv any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		priv, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		priv, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("dpop: a %q PEM block is not an unencrypted private key", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("dpop: key: %w", err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("dpop: a %T cannot sign proofs", priv)
	}
	return NewKey(signer, usualAlg(signer.Public()))
}

// MarshalPEM returns the private key as PEM-encoded PKCS #8, which
// ParseKey reads back.
func (k *Key) MarshalPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		return nil, fmt.Errorf("dpop: key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
